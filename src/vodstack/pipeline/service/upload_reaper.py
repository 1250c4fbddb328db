"""The periodic reaper of abandoned uploads, a task the pipeline service's lifespan owns.

A client that declares a 20 GB master and goes away would otherwise leave its part file on
disk forever; every `upload_reap_interval_s` this expires uploads idle for `upload_ttl_s`.
"""

from __future__ import annotations

import asyncio
import logging

from vodstack.config.settings import PipelineSettings
from vodstack.core.periodic import Periodic
from vodstack.pipeline.service.uploads import Uploads

log = logging.getLogger(__name__)


def upload_reaper(uploads: Uploads, config: PipelineSettings) -> Periodic:
    async def reap() -> None:
        expired = await asyncio.to_thread(uploads.reap_abandoned, config.upload_ttl_s)
        if expired:
            log.info("expired %d abandoned uploads: %s", len(expired), ", ".join(expired))

    return Periodic("upload reaper", reap, config.upload_reap_interval_s)
