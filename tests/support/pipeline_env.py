"""Pipeline settings for test platforms whose tests play media but never read its quality.

The quality report scores every rendition with VMAF at the top rendition's size: on the
headless player's 1080p clip that cost more CPU than the encode (docs/benchmarks.md, "Test
suite: CPU"). The report is checked where it is the subject: the admin upload in the browser
(tests/browser/test_admin_upload.py, the session platform keeps it) and the media layer's end to
end tests (tests/pipeline/media).
"""

from __future__ import annotations

NO_QUALITY_REPORT = {"VODSTACK_PIPELINE__QUALITY_REPORT": "false"}
