// Polls the job's status endpoint and updates the page in place until the job has ended.
const root = document.getElementById('job');
const statusUrl = root.dataset.statusUrl;
const el = (id) => document.getElementById(id);
const ended = new Set(['succeeded', 'failed', 'cancelled']);

async function poll() {
  let delay = 1000;
  try {
    const res = await fetch(statusUrl, { headers: { accept: 'application/json' } });
    if (res.ok) {
      const job = await res.json();
      el('status').textContent = job.status;
      el('status').className = `status-${job.status}`;
      el('processed').textContent = String(job.rows.processed);
      el('total').textContent = String(job.rows.total);
      el('failed').textContent = String(job.rows.failed);
      const pct = job.rows.total ? Math.floor((100 * job.rows.processed) / job.rows.total) : 0;
      el('progress').value = pct;
      el('progress').textContent = `${pct}%`;
      if (job.error) {
        el('error').textContent = job.error;
        el('error').hidden = false;
      }
      if (job.status === 'succeeded') el('download').hidden = false;
      if (ended.has(job.status)) return;
    }
  } catch {
    delay = 3000; // the server is restarting or the network is away: keep trying, a little slower
  }
  setTimeout(poll, delay);
}
poll();
