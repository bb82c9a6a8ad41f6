#!/usr/bin/env bash
# post-data on two connections: `pg_restore -j 2 --section=post-data` vs two pg_restore processes
# fed disjoint TOC lists (-L), on a 1.5M-row umami-shaped table with a primary key and five
# indexes. The server comes from PG* (as postgres.sh). Prints one line per round and mode.
set -euo pipefail
export PGDATABASE=postgres
psql -qX -c "DROP DATABASE IF EXISTS pd_src" -c "CREATE DATABASE pd_src"
psql -qX -d pd_src <<SQL
CREATE TABLE website_event (event_id uuid PRIMARY KEY, website_id uuid NOT NULL, session_id uuid NOT NULL, visit_id uuid NOT NULL,
  created_at timestamptz, url_path varchar(500) NOT NULL, page_title varchar(500));
INSERT INTO website_event SELECT md5('event' || i)::uuid, md5('site' || (i % 20))::uuid, md5('session' || (i / 7))::uuid,
  md5('visit' || (i / 5))::uuid, timestamptz '2024-01-01 00:00:00+00' + i * interval '1.3 seconds', '/p/' || (i % 997), 'Stack docs - page ' || (i % 5000)
FROM generate_series(1, 1500000) AS i;
CREATE INDEX website_event_created_at_idx ON website_event (created_at);
CREATE INDEX website_event_session_id_idx ON website_event (session_id);
CREATE INDEX website_event_visit_id_idx ON website_event (visit_id);
CREATE INDEX website_event_website_id_idx ON website_event (website_id);
CREATE INDEX website_event_website_id_created_at_idx ON website_event (website_id, created_at);
SQL
pg_dump -Fc -Z0 -d pd_src -f /tmp/pd.dump
pg_restore -l /tmp/pd.dump > /tmp/pd.list
grep -E '; [0-9]+ [0-9]+ (INDEX|CONSTRAINT) ' /tmp/pd.list > /tmp/pd.post
awk 'NR % 2 == 1' /tmp/pd.post > /tmp/pd.l1; awk 'NR % 2 == 0' /tmp/pd.post > /tmp/pd.l2
for round in 1 2 3; do
  for mode in j2 lists; do
    psql -qX -c "DROP DATABASE IF EXISTS pd_t" -c "CREATE DATABASE pd_t"
    pg_restore --section=pre-data -d pd_t /tmp/pd.dump; pg_restore --section=data -d pd_t /tmp/pd.dump
    sync; echo 3 > /proc/sys/vm/drop_caches || true
    start=$(date +%s.%N)
    if [[ $mode == j2 ]]; then
      PGOPTIONS="-c maintenance_work_mem=256MB" pg_restore --section=post-data -j 2 -d pd_t /tmp/pd.dump
    else
      PGOPTIONS="-c maintenance_work_mem=256MB" pg_restore --section=post-data -L /tmp/pd.l1 -d pd_t /tmp/pd.dump &
      PGOPTIONS="-c maintenance_work_mem=256MB" pg_restore --section=post-data -L /tmp/pd.l2 -d pd_t /tmp/pd.dump
      wait
    fi
    end=$(date +%s.%N)
    echo "round $round $mode $(echo "$end - $start" | bc)"
  done
done
psql -qX -c "DROP DATABASE IF EXISTS pd_t" -c "DROP DATABASE IF EXISTS pd_src"
