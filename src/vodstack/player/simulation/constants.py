"""Constants of the standard trace-driven ABR evaluation (Pensieve's test simulator, `fixed_env`).

Kept together so a reader can check them against the reference in one place.
"""

from __future__ import annotations

#: Chunks played per session (the test video lists 49; the standard evaluation plays 48).
SESSION_CHUNKS = 48
#: Rendition of the first chunk, fetched before any decision (`DEFAULT_QUALITY`).
START_RENDITION = 1
#: Share of the link's throughput that carries payload (`PACKET_PAYLOAD_PORTION`).
PAYLOAD_SHARE = 0.95
#: Request round trip added to every chunk download, in milliseconds (`LINK_RTT`).
RTT_MS = 80.0
#: Buffer above which the player idles instead of downloading, in milliseconds (`BUFFER_THRESH`).
BUFFER_LIMIT_MS = 60_000.0
#: Granularity of that idling, in milliseconds (`DRAIN_BUFFER_SLEEP_TIME`).
SLEEP_STEP_MS = 500.0
#: Bytes per second delivered by 1 Mbps of trace throughput before the payload share.
BYTES_PER_S_PER_MBPS = 1e6 / 8.0
#: QoE is reported as the mean over these chunks (chunk 0 is the fixed-quality start-up chunk).
QOE_FIRST_CHUNK = 1
QOE_LAST_CHUNK = 47
