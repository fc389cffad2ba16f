"""The tests' name for the decoder, which lives in kiosk/demo/escpos_decode.py (the scripted
demo writes its receipts as text with it)."""
from kiosk.demo.escpos_decode import Decoded, DecodeError, PrintedImage, PrintedLine, decode  # noqa: F401
