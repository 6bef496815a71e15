-- One row per HTTP request outcome of the nightly crawl: what was fetched, when, with what answer or error.
-- schema: crawl
select * from staging.stg_fetch_log
