-- One row per HTTP request outcome of the crawler (uri, status, ETag / Last-Modified, charset, error), when a crawl ran.
select * from crawl_state.fetch_log
