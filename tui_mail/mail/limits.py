"""Bounds that keep one hostile or enormous message from stalling the reader.

Past a bound the part is still listed (and can be saved) but is not decoded for display;
the reader gets a note saying which bound was hit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Every bound in one place; the defaults suit an interactive preview."""

    max_depth: int = 20  # nested multiparts / attached messages
    max_parts: int = 500  # MIME parts examined (and shown) in one message
    max_listed_parts: int = 10_000  # parts past max_parts still listed (and saveable)
    max_text_part_bytes: int = 2 << 20  # decoded size of one text part shown
    max_body_chars: int = 4_000_000  # the whole body shown
    max_header_block_bytes: int = 256 << 10  # one part's header block
    max_headers: int = 1000  # header fields kept per part
    max_header_chars: int = 16_384  # one header field shown
    max_embedded_decode_bytes: int = 32 << 20  # base64-encoded message/rfc822 we decode
    max_links: int = 500  # numbered link references listed


DEFAULT_LIMITS = Limits()
