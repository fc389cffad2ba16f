"""The tests' name for the decoder, which lives in kiosk/escpos_decode.py (the scripted demo
uses it too)."""
from kiosk.escpos_decode import Decoded, DecodeError, PrintedLine, decode  # noqa: F401
