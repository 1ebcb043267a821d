#!/bin/bash
# End-to-end time of the Flask + Celery + scikit-learn peer on one CSV: upload until results are in Postgres.
# usage: run-bench.sh CSV   (needs Redis on 6379, PostgreSQL over the local socket, Debian python3-flask/celery/sklearn/pandas/psycopg2)
# `npm run bench` runs this peer itself (bench/src/peer.ts), on a scratch database; this script is for a run by hand.
set -e
here=$(cd "$(dirname "$0")" && pwd); csv=$1
export PEER_MODEL=${PEER_MODEL:-/tmp/peer-rf.joblib}
[ -f "$PEER_MODEL" ] || /usr/bin/python3 "$here/train.py" "$PEER_MODEL"
# The database and the broker's keys are this script's own: made if missing, the queue emptied first.
psql -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'bench'" | grep -q 1 || createdb bench
psql -q -d bench -f "$here/schema.sql" >/dev/null
/usr/bin/python3 -c 'import redis; r = redis.Redis(db=5); [r.delete(k) for p in ("celery*", "_kombu.*", "unacked*") for k in r.scan_iter(p)]'
cd "$here"
/usr/bin/python3 -m celery -A tasks worker --concurrency 1 --loglevel WARNING >/tmp/peer-celery.log 2>&1 & cpid=$!
/usr/bin/python3 -m flask --app app run --port 5055 >/tmp/peer-flask.log 2>&1 & fpid=$!
trap 'kill $cpid $fpid 2>/dev/null' EXIT
for i in $(seq 50); do curl -s -o /dev/null 127.0.0.1:5055/jobs/x && break; sleep 0.2; done
sleep 3
t0=$(date +%s.%N)
id=$(curl -s -F "file=@$csv" -F email=a@b.c 127.0.0.1:5055/jobs | /usr/bin/python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')
t1=$(date +%s.%N)
until [ "$(curl -s 127.0.0.1:5055/jobs/$id | /usr/bin/python3 -c 'import sys,json;print(json.load(sys.stdin)["status"])')" = done ]; do sleep 0.05; done
t2=$(date +%s.%N)
n=$(psql -tA -d bench -c "select count(*) from peer_predictions where job_id='$id'")
echo "peer rows=$n upload_s=$(echo "$t1-$t0"|bc) total_s=$(echo "$t2-$t0"|bc)"
