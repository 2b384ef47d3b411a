"""A TypeScript client generated from ``/openapi.json`` (``@hey-api/openapi-ts``, test-only
from npm: ``npm ci --prefix tests/web``), type-checked with ``tsc --strict`` and run with
Node against a live server: its ``auth`` option reaches the server, and results are typed
(assigning them to ``number`` and ``boolean`` compiles only if the schema says so)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ._server import LiveServer
from ._support import build_world

BIN = Path(__file__).resolve().parent / "node_modules" / ".bin"
#: Nothing is fetched: a request would go to a proxy that does not answer.
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}

SCRIPT = """\
declare const process: { argv: string[]; exit(code: number): never };
import { client } from './client/client.gen';
import { getStats, ingestEvents, listEvents, verifyLog } from './client/sdk.gen';

async function main(): Promise<void> {
  const [base, ingestKey, readKey] = process.argv.slice(2);
  client.setConfig({ baseUrl: base, auth: () => ingestKey });
  const stored = await ingestEvents({
    body: { events: [{ workspace: 'acme', action: 'contact.updated', actor: { id: 'u_ts' } }] },
  });
  if (stored.error !== undefined) throw new Error(JSON.stringify(stored.error));
  const duplicate: boolean | undefined = stored.data.events[0]?.duplicate;
  client.setConfig({ baseUrl: base, auth: () => readKey });
  const page = await listEvents({ query: { workspace: 'acme', limit: 5 } });
  if (page.error !== undefined) throw new Error(JSON.stringify(page.error));
  const total: number = page.data.total;
  const next: string | null | undefined = page.data.next_cursor;
  const stats = await getStats({ query: { workspace: 'acme', range: 'last_7_days' } });
  if (stats.error !== undefined) throw new Error(JSON.stringify(stats.error));
  const kpis = stats.data.kpis;
  const cards: number = kpis.sign_ins + kpis.writes + kpis.reads_other;
  const report = await verifyLog({ query: { workspace: 'acme' } });
  if (report.error !== undefined) throw new Error(JSON.stringify(report.error));
  const ok: boolean = report.data.ok;
  const refused = await listEvents({ query: { workspace: 'acme', limit: 0 } });
  console.log(JSON.stringify({
    duplicate, total, next: next ?? null, cards, kpi_total: stats.data.kpis.total, ok,
    refused: refused.response?.status ?? null,
  }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
"""


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **OFFLINE},
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_a_generated_typescript_client_is_typed_and_authenticates(tmp_path: Path) -> None:
    if not (BIN / "openapi-ts").is_file() or not (BIN / "tsc").is_file():
        pytest.fail(f"the TypeScript client test needs {BIN}: npm ci --prefix tests/web")
    world = build_world(tmp_path / "world", 30)
    spec = tmp_path / "openapi.json"
    spec.write_text(TestClient(world.app).get("/openapi.json").text)
    run(
        [str(BIN / "openapi-ts"), "-i", str(spec), "-o", "client", "-c", "@hey-api/client-fetch"],
        tmp_path,
    )
    (tmp_path / "use.ts").write_text(SCRIPT)
    strict = ["--strict", "--target", "es2022", "--lib", "es2022,dom,dom.iterable"]
    compiled = [*strict, "--module", "commonjs", "--moduleResolution", "node10"]
    run([str(BIN / "tsc"), *compiled, "--outDir", "out", "use.ts"], tmp_path)
    live = LiveServer(world.app).start()
    try:
        keys = [world.keys["acme_ingest"], world.keys["acme_read"]]
        result = run(["node", "out/use.js", live.url, *keys], tmp_path)
    finally:
        live.close()
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["duplicate"] is False
    assert outcome["total"] >= 1
    assert outcome["cards"] == outcome["kpi_total"]
    assert outcome["ok"] is True
    assert outcome["refused"] == 422
