"""An in-process Metabase emulator (real HTTP on 127.0.0.1) for the publisher's tests."""

from tests.metabase_emulator.server import MetabaseEmulator, RecordedRequest, running_emulator
from tests.metabase_emulator.shapes import load_recorded

__all__ = ["MetabaseEmulator", "RecordedRequest", "load_recorded", "running_emulator"]
