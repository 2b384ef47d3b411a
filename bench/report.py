"""Print the newest result of every scenario in bench/results/*.jsonl as Markdown tables.

python bench/report.py
"""

from __future__ import annotations

import json

from common import RESULTS


def main() -> None:
    latest: dict[tuple[str, str], dict[str, object]] = {}
    for path in sorted(RESULTS.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            result = json.loads(line)
            latest[(str(result["db"]), str(result["scenario"]))] = result
    print("| engine | events in db | scenario | median ms | rows/s | rows | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for (db, scenario), r in sorted(latest.items()):
        rate = r.get("rows_per_s") or r.get("events_per_s") or ""
        rows = r.get("rows") or r.get("events") or ""
        print(
            f"| {db} | {r.get('events_in_db', '')} | {scenario} | {r.get('median_ms', '')} "
            f"| {rate} | {rows} "
            f"| {r.get('max_rss_mb_after', '')} |"
        )


if __name__ == "__main__":
    main()
