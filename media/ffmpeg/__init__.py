"""ffmpeg and ffprobe: finding the binaries, building and running commands, progress, probing."""
