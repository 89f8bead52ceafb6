-- Retrieval: portable BM25 postings kept exactly current by triggers on `chunks`.
--
-- Ingestion only writes `chunks`; these statement-level triggers derive postings from the same text-search
-- configuration pg_textsearch uses (`to_tsvector(sources.text_config, text)`: term -> tf = number of
-- positions, document length = total positions), and keep document frequency and length statistics current
-- in the same transaction. BM25 itself (idf, length normalisation) is computed at query time from these
-- counts, so results are exact for the current corpus. The pg_textsearch index (where available) is created
-- at run time by the retrieve feature because its options (k1, b, text_config) come from configuration.

CREATE TABLE retrieval_postings (
  term text NOT NULL,
  chunk_id text NOT NULL,
  -- Term frequency in the chunk (positions of the lexeme; to_tsvector caps at 256).
  tf integer NOT NULL,
  -- Length of the chunk in indexed tokens (denormalised so scoring needs no join).
  doc_len integer NOT NULL,
  PRIMARY KEY (term, chunk_id)
);
CREATE INDEX retrieval_postings_chunk_idx ON retrieval_postings (chunk_id);

CREATE TABLE retrieval_chunk_lengths (
  chunk_id text PRIMARY KEY,
  len integer NOT NULL
);

CREATE TABLE retrieval_terms (
  term text PRIMARY KEY,
  df integer NOT NULL
);

CREATE TABLE retrieval_lexical_stats (
  id integer PRIMARY KEY CHECK (id = 1),
  chunk_count bigint NOT NULL DEFAULT 0,
  total_length bigint NOT NULL DEFAULT 0
);
INSERT INTO retrieval_lexical_stats (id) VALUES (1);

-- Cheap "are there any embeddings?" check for the default search mode.
CREATE INDEX retrieval_chunks_embedded_idx ON chunks ((true)) WHERE embedding IS NOT NULL;

-- Index the chunks of a transition table. Writers serialise on one transaction-level advisory lock: df and
-- the stats row are shared counters, and taking the lock first means concurrent ingestion transactions
-- never deadlock on them (they queue for the short write transaction instead).
CREATE FUNCTION retrieval_index_new_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1735552338);
  WITH lex AS MATERIALIZED (
    SELECT n.id AS chunk_id, l.lexeme AS term, coalesce(array_length(l.positions, 1), 1) AS tf
    FROM retrieval_new_rows n
    LEFT JOIN sources s ON s.id = n.source_id
    CROSS JOIN LATERAL unnest(to_tsvector(coalesce(s.text_config, 'english')::regconfig, n.text)) l
  ),
  lens AS MATERIALIZED (
    SELECT chunk_id, sum(tf)::integer AS len FROM lex GROUP BY chunk_id
  ),
  ins_len AS (
    INSERT INTO retrieval_chunk_lengths (chunk_id, len) SELECT chunk_id, len FROM lens RETURNING len
  ),
  ins_post AS (
    INSERT INTO retrieval_postings (term, chunk_id, tf, doc_len)
    SELECT lex.term, lex.chunk_id, lex.tf, lens.len FROM lex JOIN lens USING (chunk_id)
  ),
  ins_df AS (
    INSERT INTO retrieval_terms AS t (term, df)
    SELECT term, count(*)::integer FROM lex GROUP BY term ORDER BY term
    ON CONFLICT (term) DO UPDATE SET df = t.df + excluded.df
  )
  UPDATE retrieval_lexical_stats
  SET chunk_count = chunk_count + (SELECT count(*) FROM ins_len),
      total_length = total_length + (SELECT coalesce(sum(len), 0) FROM ins_len)
  WHERE id = 1;
  RETURN NULL;
END $$;

CREATE FUNCTION retrieval_unindex_old_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1735552338);
  WITH gone_len AS (
    DELETE FROM retrieval_chunk_lengths l USING retrieval_old_rows o WHERE l.chunk_id = o.id RETURNING l.len
  ),
  gone_post AS (
    DELETE FROM retrieval_postings p USING retrieval_old_rows o WHERE p.chunk_id = o.id RETURNING p.term
  ),
  upd_df AS (
    UPDATE retrieval_terms t SET df = t.df - g.n
    FROM (SELECT term, count(*)::integer AS n FROM gone_post GROUP BY term ORDER BY term) g
    WHERE t.term = g.term
  )
  UPDATE retrieval_lexical_stats
  SET chunk_count = chunk_count - (SELECT count(*) FROM gone_len),
      total_length = total_length - (SELECT coalesce(sum(len), 0) FROM gone_len)
  WHERE id = 1;
  RETURN NULL;
END $$;

-- Updates re-index only rows whose text or source (hence analyzer) changed: embedding, ACL and sensitivity
-- updates cost nothing here.
CREATE FUNCTION retrieval_reindex_updated_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM retrieval_old_rows o FULL JOIN retrieval_new_rows n ON n.id = o.id
    WHERE o.id IS NULL OR n.id IS NULL OR o.text IS DISTINCT FROM n.text OR o.source_id IS DISTINCT FROM n.source_id
  ) THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock(1735552338);
  -- Remove every changed row (by old id), then index the new versions of the changed rows.
  WITH changed AS (
    SELECT o.id FROM retrieval_old_rows o LEFT JOIN retrieval_new_rows n ON n.id = o.id
    WHERE n.id IS NULL OR o.text IS DISTINCT FROM n.text OR o.source_id IS DISTINCT FROM n.source_id
  ),
  gone_len AS (
    DELETE FROM retrieval_chunk_lengths l USING changed c WHERE l.chunk_id = c.id RETURNING l.len
  ),
  gone_post AS (
    DELETE FROM retrieval_postings p USING changed c WHERE p.chunk_id = c.id RETURNING p.term
  ),
  upd_df AS (
    UPDATE retrieval_terms t SET df = t.df - g.n
    FROM (SELECT term, count(*)::integer AS n FROM gone_post GROUP BY term ORDER BY term) g
    WHERE t.term = g.term
  )
  UPDATE retrieval_lexical_stats
  SET chunk_count = chunk_count - (SELECT count(*) FROM gone_len),
      total_length = total_length - (SELECT coalesce(sum(len), 0) FROM gone_len)
  WHERE id = 1;

  WITH lex AS MATERIALIZED (
    SELECT n.id AS chunk_id, l.lexeme AS term, coalesce(array_length(l.positions, 1), 1) AS tf
    FROM retrieval_new_rows n
    LEFT JOIN retrieval_old_rows o ON o.id = n.id
    LEFT JOIN sources s ON s.id = n.source_id
    CROSS JOIN LATERAL unnest(to_tsvector(coalesce(s.text_config, 'english')::regconfig, n.text)) l
    WHERE o.id IS NULL OR o.text IS DISTINCT FROM n.text OR o.source_id IS DISTINCT FROM n.source_id
  ),
  lens AS MATERIALIZED (
    SELECT chunk_id, sum(tf)::integer AS len FROM lex GROUP BY chunk_id
  ),
  ins_len AS (
    INSERT INTO retrieval_chunk_lengths (chunk_id, len) SELECT chunk_id, len FROM lens RETURNING len
  ),
  ins_post AS (
    INSERT INTO retrieval_postings (term, chunk_id, tf, doc_len)
    SELECT lex.term, lex.chunk_id, lex.tf, lens.len FROM lex JOIN lens USING (chunk_id)
  ),
  ins_df AS (
    INSERT INTO retrieval_terms AS t (term, df)
    SELECT term, count(*)::integer FROM lex GROUP BY term ORDER BY term
    ON CONFLICT (term) DO UPDATE SET df = t.df + excluded.df
  )
  UPDATE retrieval_lexical_stats
  SET chunk_count = chunk_count + (SELECT count(*) FROM ins_len),
      total_length = total_length + (SELECT coalesce(sum(len), 0) FROM ins_len)
  WHERE id = 1;
  RETURN NULL;
END $$;

CREATE TRIGGER retrieval_chunks_insert AFTER INSERT ON chunks
  REFERENCING NEW TABLE AS retrieval_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION retrieval_index_new_chunks();
CREATE TRIGGER retrieval_chunks_delete AFTER DELETE ON chunks
  REFERENCING OLD TABLE AS retrieval_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION retrieval_unindex_old_chunks();
CREATE TRIGGER retrieval_chunks_update AFTER UPDATE ON chunks
  REFERENCING OLD TABLE AS retrieval_old_rows NEW TABLE AS retrieval_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION retrieval_reindex_updated_chunks();

-- Changing a source's analyzer re-derives its postings (rare; cost proportional to the source).
CREATE FUNCTION retrieval_source_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.text_config IS DISTINCT FROM OLD.text_config THEN
    PERFORM retrieval_reindex_source(NEW.id);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION retrieval_reindex_source(p_source_id text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1735552338);
  WITH old AS (SELECT id FROM chunks WHERE source_id = p_source_id),
  gone_len AS (
    DELETE FROM retrieval_chunk_lengths l USING old c WHERE l.chunk_id = c.id RETURNING l.len
  ),
  gone_post AS (
    DELETE FROM retrieval_postings p USING old c WHERE p.chunk_id = c.id RETURNING p.term
  ),
  upd_df AS (
    UPDATE retrieval_terms t SET df = t.df - g.n
    FROM (SELECT term, count(*)::integer AS n FROM gone_post GROUP BY term ORDER BY term) g
    WHERE t.term = g.term
  )
  UPDATE retrieval_lexical_stats
  SET chunk_count = chunk_count - (SELECT count(*) FROM gone_len),
      total_length = total_length - (SELECT coalesce(sum(len), 0) FROM gone_len)
  WHERE id = 1;

  WITH lex AS MATERIALIZED (
    SELECT c.id AS chunk_id, l.lexeme AS term, coalesce(array_length(l.positions, 1), 1) AS tf
    FROM chunks c
    LEFT JOIN sources s ON s.id = c.source_id
    CROSS JOIN LATERAL unnest(to_tsvector(coalesce(s.text_config, 'english')::regconfig, c.text)) l
    WHERE c.source_id = p_source_id
  ),
  lens AS MATERIALIZED (
    SELECT chunk_id, sum(tf)::integer AS len FROM lex GROUP BY chunk_id
  ),
  ins_len AS (
    INSERT INTO retrieval_chunk_lengths (chunk_id, len) SELECT chunk_id, len FROM lens RETURNING len
  ),
  ins_post AS (
    INSERT INTO retrieval_postings (term, chunk_id, tf, doc_len)
    SELECT lex.term, lex.chunk_id, lex.tf, lens.len FROM lex JOIN lens USING (chunk_id)
  ),
  ins_df AS (
    INSERT INTO retrieval_terms AS t (term, df)
    SELECT term, count(*)::integer FROM lex GROUP BY term ORDER BY term
    ON CONFLICT (term) DO UPDATE SET df = t.df + excluded.df
  )
  UPDATE retrieval_lexical_stats
  SET chunk_count = chunk_count + (SELECT count(*) FROM ins_len),
      total_length = total_length + (SELECT coalesce(sum(len), 0) FROM ins_len)
  WHERE id = 1;
END $$;

CREATE TRIGGER retrieval_sources_text_config AFTER UPDATE OF text_config ON sources
  FOR EACH ROW EXECUTE FUNCTION retrieval_source_config_changed();
