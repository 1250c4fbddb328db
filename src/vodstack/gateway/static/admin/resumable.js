// Resumable upload through /api/admin/uploads: slices PATCHed at `Upload-Offset`; after a
// dropped connection or a 409, ask the server where it is (HEAD) and continue from there.
// Any pipeline instance takes any slice; one killed mid-slice holds the upload for a few
// seconds (its writer lease, 409 upload_busy), which is waited out like a network error.

const MAX_FAILURES = 8;

export class UploadRejected extends Error {}

function sleep(ms) {
  return new Promise((resolve) => window.setTimeout(resolve, ms));
}

const WAIT_CODES = ["upload_busy", "upload_lease_lost"];

function errorMessage(xhr) {
  try {
    return JSON.parse(xhr.responseText).error;
  } catch (_) {
    return { code: "failed", message: `The upload failed (HTTP ${xhr.status}).` };
  }
}

// One PATCH with upload progress events (fetch cannot report them). Resolves with
// {status, body}; rejects only on a network failure.
function patch(url, offset, blob, onSent) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PATCH", url);
    xhr.setRequestHeader("Upload-Offset", String(offset));
    xhr.setRequestHeader("Content-Type", "application/offset+octet-stream");
    xhr.setRequestHeader("X-CSRF-Token", window.vodstack.csrfToken());
    xhr.upload.onprogress = (event) => onSent(event.loaded);
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => reject(new Error("network"));
    xhr.ontimeout = () => reject(new Error("timeout"));
    xhr.send(blob);
  });
}

async function serverOffset(url) {
  const response = await fetch(url, { method: "HEAD", credentials: "same-origin" });
  if (!response.ok) throw new UploadRejected(`The upload is gone (HTTP ${response.status}).`);
  return Number(response.headers.get("Upload-Offset"));
}

export class ResumableUpload {
  // `encrypt`: true, false, or null (the title keeps its encryption setting).
  constructor(file, titleId, sliceBytes, onProgress, encrypt = null) {
    Object.assign(this, { file, titleId, sliceBytes, onProgress, encrypt, resumes: 0 });
  }

  async run() {
    const created = await window.vodstack.api("POST", "/api/admin/uploads", {
      filename: this.file.name, size: this.file.size, title_id: this.titleId,
      encrypt: this.encrypt,
    });
    const url = "/api/admin/uploads/" + encodeURIComponent(created.id);
    let offset = created.offset;
    let status = created;
    let failures = 0;
    while (offset < this.file.size) {
      const blob = this.file.slice(offset, offset + this.sliceBytes);
      let xhr = null;
      try {
        xhr = await patch(url, offset, blob, (sent) => this.onProgress(offset + sent));
      } catch (_) {
        xhr = null; // the connection dropped: some bytes may have arrived
      }
      if (xhr && xhr.status >= 200 && xhr.status < 300) {
        status = JSON.parse(xhr.responseText);
        offset = status.offset;
        failures = 0;
      } else if (xhr && xhr.status >= 400 && xhr.status < 500 && xhr.status !== 409) {
        throw new UploadRejected(errorMessage(xhr).message);
      } else {
        failures += 1;
        if (failures > MAX_FAILURES) throw new Error("The connection keeps failing; the upload can be resumed later.");
        const busy = xhr && xhr.status === 409 && WAIT_CODES.includes(errorMessage(xhr).code);
        if (!xhr || xhr.status >= 500 || busy) await sleep(Math.min(8000, 250 * 2 ** failures));
        offset = await this.resume(url);
      }
      this.onProgress(offset);
    }
    return status.offset === this.file.size && status.job_id ? status : await window.vodstack.api("GET", url);
  }

  async resume(url) {
    this.resumes += 1;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await serverOffset(url);
      } catch (error) {
        if (error instanceof UploadRejected || attempt >= MAX_FAILURES) throw error;
        await sleep(Math.min(8000, 250 * 2 ** attempt));
      }
    }
  }
}
