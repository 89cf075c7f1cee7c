"""RFM in pandas from an orders CSV: the yardstick for `crm report rfm` (run as a script).

``python bench/pandas_rfm.py ORDERS.csv AS_OF`` reads the CSV, computes per customer
recency (days since the last order), frequency (orders) and monetary (sum), scores
each 1–5 by quintile (ties share a score: rank first, then cut), writes the result as
CSV to stdout and the seconds spent after ``import pandas`` to stderr as JSON.
"""

import json
import sys
import time

import pandas as pd


def main() -> int:
    path, as_of = sys.argv[1], pd.Timestamp(sys.argv[2])
    start = time.perf_counter()
    orders = pd.read_csv(path, encoding="utf-8-sig", dtype={"amount": str})
    key = "customer_code" if "customer_code" in orders.columns else "customer"
    orders["date"] = pd.to_datetime(orders["date"], format="%Y-%m-%d")
    orders["amount"] = orders["amount"].str.replace(",", "", regex=False).astype(float)
    rfm = orders.groupby(key).agg(
        last_order=("date", "max"), frequency=("date", "size"), monetary=("amount", "sum")
    )
    rfm["recency_days"] = (as_of - rfm["last_order"]).dt.days
    for col, ascending in (("recency_days", False), ("frequency", True), ("monetary", True)):
        ranks = rfm[col].rank(method="min", ascending=ascending)
        rfm[col[0]] = pd.cut(ranks, 5, labels=[1, 2, 3, 4, 5]).astype(int)
    rfm["score"] = rfm["r"].astype(str) + rfm["f"].astype(str) + rfm["m"].astype(str)
    rfm.to_csv(sys.stdout)
    elapsed = time.perf_counter() - start
    print(json.dumps({"compute_seconds": elapsed, "customers": len(rfm)}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
