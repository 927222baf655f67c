"""A Python bittensor 10.5.0 axon on 127.0.0.1 serving Dummy, HashedEcho and DummyStream.

Usage: py_axon.py PORT URI. Blacklists //Charlie with reason "test". Runs until stdin closes.
"""
import sys
from typing import Tuple

from common import CHARLIE, Dummy, DummyStream, HashedEcho, Keypair, bt


class HotkeyWallet:
    """The two attributes an Axon reads from a wallet."""

    def __init__(self, uri):
        self.hotkey = Keypair.create_from_uri(uri)
        self.coldkeypub = self.hotkey


def forward_dummy(synapse: Dummy) -> Dummy:
    synapse.output = synapse.input * 2
    return synapse


def forward_hashed(synapse: HashedEcho) -> HashedEcho:
    synapse.output = f"{synapse.text}:{synapse.input}"
    return synapse


def forward_stream(synapse: DummyStream) -> DummyStream.BTStreamingResponse:
    async def streamer(send):
        for i in range(synapse.n):
            await send({"type": "http.response.body", "body": f"tok{i} ".encode(), "more_body": True})

    return synapse.create_streaming_response(streamer)


def blacklist_dummy(synapse: Dummy) -> Tuple[bool, str]:
    return synapse.dendrite.hotkey == CHARLIE, "test"


def blacklist_hashed(synapse: HashedEcho) -> Tuple[bool, str]:
    return synapse.dendrite.hotkey == CHARLIE, "test"


def blacklist_stream(synapse: DummyStream) -> Tuple[bool, str]:
    return synapse.dendrite.hotkey == CHARLIE, "test"


def main():
    port, uri = int(sys.argv[1]), sys.argv[2]
    axon = bt.Axon(wallet=HotkeyWallet(uri), ip="127.0.0.1", port=port, external_ip="127.0.0.1")
    axon.fast_config.host = "127.0.0.1"
    axon.attach(forward_fn=forward_dummy, blacklist_fn=blacklist_dummy)
    axon.attach(forward_fn=forward_hashed, blacklist_fn=blacklist_hashed)
    axon.attach(forward_fn=forward_stream, blacklist_fn=blacklist_stream)
    axon.start()
    sys.stdin.read()
    axon.stop()


if __name__ == "__main__":
    main()
