"""Speech: align a reporter's script with a clip's sound, and the cues made from it."""
