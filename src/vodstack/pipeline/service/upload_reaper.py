"""The periodic reaper of abandoned uploads, a task the pipeline service's lifespan owns.

A client that declares a 20 GB master and goes away would otherwise leave its part file on
disk forever; every `upload_reap_interval_s` this expires uploads idle for `upload_ttl_s`.
"""

from __future__ import annotations

import asyncio
import logging

from vodstack.config.settings import PipelineSettings
from vodstack.pipeline.service.uploads import Uploads

log = logging.getLogger(__name__)


async def reap_forever(uploads: Uploads, config: PipelineSettings) -> None:
    while True:
        try:
            expired = await asyncio.to_thread(uploads.reap_abandoned, config.upload_ttl_s)
            if expired:
                log.info("expired %d abandoned uploads: %s", len(expired), ", ".join(expired))
        except Exception:
            log.exception("upload reaper failed")
        await asyncio.sleep(config.upload_reap_interval_s)
