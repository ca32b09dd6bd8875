"""Photos: decoding, credit metadata, crops, responsive thumbnails and social images."""
