"""Shared setup for the interop helpers: offline bittensor and the test synapses.

bittensor's Dendrite looks up its external IP on the internet when constructed; we replace that
lookup with a loopback constant before anything else runs, so nothing leaves 127.0.0.1.
"""
import sys
from typing import ClassVar, Optional, Tuple

# Keep bittensor from parsing the helper's own command line as its config.
_argv, sys.argv = sys.argv, sys.argv[:1]

import bittensor as bt  # noqa: E402
from bittensor.utils import networking  # noqa: E402
from bittensor_wallet import Keypair  # noqa: E402

sys.argv = _argv

# The dendrite reports this IP; it must differ from the axons' 127.0.0.1 so that the target
# URL stays 127.0.0.1 (the reference swaps in 0.0.0.0 when they are equal).
networking.get_external_ip = lambda: "127.0.0.2"

CHARLIE = Keypair.create_from_uri("//Charlie").ss58_address


class Dummy(bt.Synapse):
    input: int = 0
    output: Optional[int] = None


class HashedEcho(bt.Synapse):
    text: str
    input: int = 0
    output: Optional[str] = None
    required_hash_fields: ClassVar[Tuple[str, ...]] = ("text", "input")


class DummyStream(bt.StreamingSynapse):
    n: int = 3

    async def process_streaming_response(self, response):
        async for chunk in response.content.iter_any():
            yield chunk.decode()

    def extract_response_json(self, response) -> dict:
        return {"n": self.n}

    def deserialize(self):
        return self
