-- groundwork:requires 0080
-- (A contract step: it drops the 0020 postings older code ranks with; upgrade with a short stop, see operations.md.)
-- Retrieval: portable BM25 at scale (decision 0003). Replaces the text-keyed postings of 0020 with
--   * retrieval_lexicon (term -> int id, df),
--   * retrieval_acls (one id per distinct chunk ACL, i.e. `chunks.principals` value),
--   * retrieval_docs, the forward index: one row per indexed chunk (int doc id, length, ACL class, and the
--     chunk's term ids / term frequencies / quantized impacts as arrays) — exact rescoring of a candidate and
--     removal of its postings read this one row,
--   * retrieval_impacts, the inverted index: one row per (term, chunk) carrying the ACL class and a quantized,
--     term-independent BM25 impact, with a single covering index (term, impact DESC, doc) INCLUDE (acl) so
--     each term's list is read best-first and filtered by ACL without touching `chunks`.
--
-- Exactness: scores are always recomputed from tf, length and the *current* N, df and avgdl (forward index);
-- impacts are only used to bound scores. imp = floor(f · S), f = tf (k1+1) / (tf + k1 (1 − b + b len / A0)),
-- S = 32767 / (k1 + 1), A0 = the average length when the posting was written. For the current average A,
-- f(A) ≤ f(A0) · max(1, A / A0) ≤ (imp + 1) / S · max(1, A / impact_avgdl_min) — a valid upper bound whatever
-- the corpus statistics became since; idf is applied at query time. `retrieval_rebuild()` re-quantizes.
--
-- ACL: a posting's `acl` is the retrieval_acls id of its chunk's principals, negated while the chunk's
-- document has status 'deleted' (never visible, not even to operators). The triggers below keep it current on
-- every path that changes who can read a chunk: chunk insert/delete, any UPDATE of chunks.principals, text or
-- source, and documents.status changes.

DROP TABLE retrieval_postings;
DROP TABLE retrieval_chunk_lengths;
DROP TABLE retrieval_terms;

CREATE TABLE retrieval_lexicon (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  term text NOT NULL UNIQUE,
  df integer NOT NULL DEFAULT 0
);

CREATE TABLE retrieval_acls (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  principals text[] NOT NULL UNIQUE
);
CREATE INDEX retrieval_acls_principals_idx ON retrieval_acls USING gin (principals);

CREATE TABLE retrieval_docs (
  doc integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  chunk_id text NOT NULL UNIQUE,
  len integer NOT NULL,
  acl integer NOT NULL,
  terms integer[] NOT NULL,
  tfs smallint[] NOT NULL,
  imps smallint[] NOT NULL
);

CREATE TABLE retrieval_impacts (
  term integer NOT NULL,
  imp smallint NOT NULL,
  doc integer NOT NULL,
  acl integer NOT NULL
);
CREATE UNIQUE INDEX retrieval_impacts_idx ON retrieval_impacts (term, imp DESC, doc) INCLUDE (acl);

-- BM25 parameters the impacts were quantized with, and the smallest average length any impact was written with.
ALTER TABLE retrieval_lexical_stats ADD COLUMN k1 float8 NOT NULL DEFAULT 0.9;
ALTER TABLE retrieval_lexical_stats ADD COLUMN b float8 NOT NULL DEFAULT 0.4;
ALTER TABLE retrieval_lexical_stats ADD COLUMN impact_avgdl_min float8;

-- Indexes the given chunks (which must not be indexed yet). Chunks whose text has no lexeme are not indexed
-- (and not counted in N), as before.
CREATE FUNCTION retrieval_add(p_ids text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  st record;
  n_new bigint;
  len_new bigint;
  a0 float8;
BEGIN
  IF p_ids IS NULL OR cardinality(p_ids) = 0 THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(1735552338);
  INSERT INTO retrieval_acls (principals)
  SELECT DISTINCT principals FROM chunks WHERE id = ANY(p_ids) ORDER BY 1
  ON CONFLICT (principals) DO NOTHING;
  IF to_regclass('pg_temp.retrieval_lex_tmp') IS NULL THEN
    CREATE TEMP TABLE retrieval_lex_tmp (chunk_id text, term text, tf integer) ON COMMIT DELETE ROWS;
  ELSE
    TRUNCATE retrieval_lex_tmp;
  END IF;
  INSERT INTO retrieval_lex_tmp
  SELECT c.id, l.lexeme, coalesce(array_length(l.positions, 1), 1)
  FROM chunks c
  LEFT JOIN sources s ON s.id = c.source_id
  CROSS JOIN LATERAL unnest(to_tsvector(coalesce(s.text_config, 'english')::regconfig, c.text)) l
  WHERE c.id = ANY(p_ids);
  SELECT count(DISTINCT chunk_id), coalesce(sum(tf), 0) INTO n_new, len_new FROM retrieval_lex_tmp;
  IF n_new = 0 THEN RETURN; END IF;
  UPDATE retrieval_lexical_stats
  SET chunk_count = chunk_count + n_new, total_length = total_length + len_new,
      impact_avgdl_min = least(coalesce(impact_avgdl_min, 'Infinity'::float8),
                               (total_length + len_new)::float8 / (chunk_count + n_new))
  WHERE id = 1
  RETURNING * INTO st;
  a0 := st.total_length::float8 / st.chunk_count;
  WITH lexicon AS (
    INSERT INTO retrieval_lexicon AS t (term, df)
    SELECT term, count(*)::integer FROM retrieval_lex_tmp GROUP BY term ORDER BY term
    ON CONFLICT (term) DO UPDATE SET df = t.df + excluded.df
    RETURNING t.id, t.term
  ),
  lens AS (
    SELECT chunk_id, sum(tf)::integer AS len FROM retrieval_lex_tmp GROUP BY chunk_id
  ),
  rows AS (
    SELECT x.chunk_id, lens.len, lx.id AS term, x.tf,
           floor(x.tf * (st.k1 + 1) / (x.tf + st.k1 * (1 - st.b + st.b * lens.len / a0)) * (32767 / (st.k1 + 1)))::smallint AS imp
    FROM retrieval_lex_tmp x JOIN lens USING (chunk_id) JOIN lexicon lx ON lx.term = x.term
  ),
  docs AS (
    INSERT INTO retrieval_docs (chunk_id, len, acl, terms, tfs, imps)
    SELECT r.chunk_id, r.len, CASE WHEN d.status = 'deleted' THEN -a.id ELSE a.id END,
           array_agg(r.term ORDER BY r.term), array_agg(r.tf::smallint ORDER BY r.term), array_agg(r.imp ORDER BY r.term)
    FROM rows r
    JOIN chunks c ON c.id = r.chunk_id
    JOIN documents d ON d.id = c.document_id
    JOIN retrieval_acls a ON a.principals = c.principals
    GROUP BY r.chunk_id, r.len, d.status, a.id
    RETURNING doc, acl, terms, imps
  )
  INSERT INTO retrieval_impacts (term, imp, doc, acl)
  SELECT u.term, u.imp, docs.doc, docs.acl FROM docs CROSS JOIN LATERAL unnest(docs.terms, docs.imps) AS u(term, imp);
  TRUNCATE retrieval_lex_tmp;
END $$;

-- Removes the given chunks from the index (by their forward-index row: no re-analysis of the old text).
CREATE FUNCTION retrieval_remove(p_ids text[]) RETURNS void LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
BEGIN
  IF p_ids IS NULL OR cardinality(p_ids) = 0 THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(1735552338);
  WITH gone AS (
    DELETE FROM retrieval_docs WHERE chunk_id = ANY(p_ids) RETURNING doc, len, terms, imps
  ),
  post AS MATERIALIZED (
    SELECT g.doc, u.term, u.imp FROM gone g CROSS JOIN LATERAL unnest(g.terms, g.imps) AS u(term, imp)
  ),
  del AS (
    DELETE FROM retrieval_impacts p USING post WHERE p.term = post.term AND p.imp = post.imp AND p.doc = post.doc
  ),
  df AS (
    UPDATE retrieval_lexicon t SET df = t.df - g.n
    FROM (SELECT term, count(*)::integer AS n FROM post GROUP BY term ORDER BY term) g
    WHERE t.id = g.term
  )
  UPDATE retrieval_lexical_stats
  SET chunk_count = chunk_count - (SELECT count(*) FROM gone),
      total_length = total_length - (SELECT coalesce(sum(len), 0) FROM gone)
  WHERE id = 1;
END $$;

-- Re-derives the ACL class of the given chunks (their principals or their document's status changed) on the
-- forward row and on every posting.
CREATE FUNCTION retrieval_set_acl(p_ids text[]) RETURNS void LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
BEGIN
  IF p_ids IS NULL OR cardinality(p_ids) = 0 THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(1735552338);
  INSERT INTO retrieval_acls (principals)
  SELECT DISTINCT principals FROM chunks WHERE id = ANY(p_ids) ORDER BY 1
  ON CONFLICT (principals) DO NOTHING;
  WITH changed AS MATERIALIZED (
    SELECT r.doc, r.terms, r.imps, CASE WHEN d.status = 'deleted' THEN -a.id ELSE a.id END AS acl
    FROM retrieval_docs r
    JOIN chunks c ON c.id = r.chunk_id
    JOIN documents d ON d.id = c.document_id
    JOIN retrieval_acls a ON a.principals = c.principals
    WHERE r.chunk_id = ANY(p_ids)
  ),
  docs AS (
    UPDATE retrieval_docs r SET acl = ch.acl FROM changed ch WHERE r.doc = ch.doc AND r.acl <> ch.acl
  )
  UPDATE retrieval_impacts p SET acl = x.acl
  FROM (SELECT ch.doc, u.term, u.imp, ch.acl FROM changed ch CROSS JOIN LATERAL unnest(ch.terms, ch.imps) AS u(term, imp)) x
  WHERE p.term = x.term AND p.imp = x.imp AND p.doc = x.doc AND p.acl <> x.acl;
END $$;

CREATE OR REPLACE FUNCTION retrieval_index_new_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM retrieval_add(ARRAY(SELECT id FROM retrieval_new_rows));
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION retrieval_unindex_old_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM retrieval_remove(ARRAY(SELECT id FROM retrieval_old_rows));
  RETURN NULL;
END $$;

-- Text or source (analyzer) changes re-index a chunk; a principals change re-labels its postings; other
-- updates (embeddings, PII, injection spans, sensitivity) cost nothing here.
CREATE OR REPLACE FUNCTION retrieval_reindex_updated_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  gone text[];
  added text[];
  relabel text[];
BEGIN
  SELECT array_agg(o.id) INTO gone
  FROM retrieval_old_rows o LEFT JOIN retrieval_new_rows n ON n.id = o.id
  WHERE n.id IS NULL OR o.text IS DISTINCT FROM n.text OR o.source_id IS DISTINCT FROM n.source_id;
  SELECT array_agg(n.id) INTO added
  FROM retrieval_new_rows n LEFT JOIN retrieval_old_rows o ON o.id = n.id
  WHERE o.id IS NULL OR o.text IS DISTINCT FROM n.text OR o.source_id IS DISTINCT FROM n.source_id;
  SELECT array_agg(n.id) INTO relabel
  FROM retrieval_new_rows n JOIN retrieval_old_rows o ON o.id = n.id
  WHERE o.text IS NOT DISTINCT FROM n.text AND o.source_id IS NOT DISTINCT FROM n.source_id
    AND (o.principals IS DISTINCT FROM n.principals OR o.document_id IS DISTINCT FROM n.document_id);
  PERFORM retrieval_remove(gone);
  PERFORM retrieval_add(added);
  PERFORM retrieval_set_acl(relabel);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION retrieval_reindex_source(p_source_id text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  ids text[];
BEGIN
  ids := ARRAY(SELECT id FROM chunks WHERE source_id = p_source_id);
  PERFORM retrieval_remove(ids);
  PERFORM retrieval_add(ids);
END $$;

-- A document's status decides visibility of all its chunks ('deleted' hides them from everyone).
CREATE FUNCTION retrieval_document_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (OLD.status = 'deleted') IS DISTINCT FROM (NEW.status = 'deleted') THEN
    PERFORM retrieval_set_acl(ARRAY(SELECT id FROM chunks WHERE document_id = NEW.id));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER retrieval_documents_status AFTER UPDATE OF status ON documents
  FOR EACH ROW EXECUTE FUNCTION retrieval_document_status_changed();

-- Rebuilds the whole index from `chunks` in batches (migration backfill and repair): postings are loaded
-- without the index, which is built once at the end, and impacts are quantized with the final statistics.
CREATE FUNCTION retrieval_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  ids text[];
BEGIN
  PERFORM pg_advisory_xact_lock(1735552338);
  TRUNCATE retrieval_impacts, retrieval_docs, retrieval_lexicon, retrieval_acls;
  UPDATE retrieval_lexical_stats SET chunk_count = 0, total_length = 0, impact_avgdl_min = NULL WHERE id = 1;
  DROP INDEX retrieval_impacts_idx;
  FOR ids IN
    SELECT array_agg(id) FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / 20000 AS g FROM chunks) x GROUP BY g ORDER BY g
  LOOP
    PERFORM retrieval_add(ids);
  END LOOP;
  -- Batches quantize with the running average length; re-quantize only if it ended more than 5% above the
  -- smallest one used (the bounds stay exact either way, only looser).
  IF (SELECT total_length::float8 / nullif(chunk_count, 0) / impact_avgdl_min FROM retrieval_lexical_stats WHERE id = 1) > 1.05 THEN
    PERFORM retrieval_requantize();
  END IF;
  CREATE UNIQUE INDEX retrieval_impacts_idx ON retrieval_impacts (term, imp DESC, doc) INCLUDE (acl);
END $$;

-- Recomputes every impact with the current average length (tightens the bounds after the corpus grew).
CREATE FUNCTION retrieval_requantize() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  st record;
  a0 float8;
  indexed boolean;
BEGIN
  PERFORM pg_advisory_xact_lock(1735552338);
  SELECT * INTO st FROM retrieval_lexical_stats WHERE id = 1;
  IF st.chunk_count = 0 THEN RETURN; END IF;
  a0 := st.total_length::float8 / st.chunk_count;
  indexed := EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'retrieval_impacts_idx');
  IF indexed THEN DROP INDEX retrieval_impacts_idx; END IF;
  CREATE TEMP TABLE retrieval_docs_new ON COMMIT DROP AS
  SELECT r.doc, r.chunk_id, r.len, r.acl, r.terms, r.tfs,
         ARRAY(SELECT floor(tf * (st.k1 + 1) / (tf + st.k1 * (1 - st.b + st.b * r.len / a0)) * (32767 / (st.k1 + 1)))::smallint
               FROM unnest(r.tfs) WITH ORDINALITY AS u(tf, i) ORDER BY i) AS imps
  FROM retrieval_docs r;
  TRUNCATE retrieval_impacts, retrieval_docs;
  INSERT INTO retrieval_docs (doc, chunk_id, len, acl, terms, tfs, imps) OVERRIDING SYSTEM VALUE
  SELECT doc, chunk_id, len, acl, terms, tfs, imps FROM retrieval_docs_new;
  INSERT INTO retrieval_impacts (term, imp, doc, acl)
  SELECT u.term, u.imp, r.doc, r.acl FROM retrieval_docs_new r CROSS JOIN LATERAL unnest(r.terms, r.imps) AS u(term, imp);
  DROP TABLE retrieval_docs_new;
  UPDATE retrieval_lexical_stats SET impact_avgdl_min = a0 WHERE id = 1;
  IF indexed THEN
    CREATE UNIQUE INDEX retrieval_impacts_idx ON retrieval_impacts (term, imp DESC, doc) INCLUDE (acl);
  END IF;
END $$;

-- Exact BM25 of the given candidate docs (from the forward index and the current statistics).
CREATE FUNCTION retrieval_exact_scores(p_docs integer[], p_terms integer[], p_weights float8[], p_k1 float8, p_b float8, p_avgdl float8)
RETURNS TABLE (doc integer, chunk_id text, score float8) LANGUAGE sql STABLE AS $$
  SELECT r.doc, r.chunk_id, s.score
  FROM retrieval_docs r
  CROSS JOIN LATERAL (
    SELECT sum(q.w * x.tf * (p_k1 + 1) / (x.tf + p_k1 * (1 - p_b + p_b * r.len / p_avgdl))) AS score
    FROM unnest(p_terms, p_weights) AS q(term, w)
    CROSS JOIN LATERAL (SELECT r.tfs[array_position(r.terms, q.term)]::float8 AS tf) x
    WHERE x.tf IS NOT NULL
  ) s
  WHERE r.doc = ANY(p_docs) AND s.score IS NOT NULL
$$;

-- Top-k BM25 (Lucene formula, as pg_textsearch) of the query among postings whose ACL class is visible to
-- p_principals (NULL: the caller sees everything except deleted documents). p_k NULL or p_exhaustive: every
-- matching visible chunk is scored exactly (the reference). Otherwise an exact MaxScore: seed θ (the k-th
-- exact score) from each term's best visible postings; terms whose bounds sum below θ are not scanned;
-- θ's remainder is split over the other terms, whose lists are read best-first only down to their share;
-- candidates whose bound cannot reach θ are dropped; the rest are scored exactly. Returns exactly the
-- exhaustive top-k (proof in decision 0003).
CREATE FUNCTION retrieval_bm25_topk(p_configs text[], p_query text, p_principals text[], p_k integer,
                                    p_k1 float8, p_b float8, p_exhaustive boolean DEFAULT false,
                                    p_seed integer DEFAULT NULL)
RETURNS TABLE (chunk_id text, score float8) LANGUAGE plpgsql STABLE AS $$
DECLARE
  st record;
  a float8;
  r float8;
  s float8;
  vis integer[];
  t_ids integer[];
  t_w float8[];
  t_ub float8[];
  seeds integer[];
  theta float8;
  seed_n integer;
  cum float8 := 0;
  budget float8;
  ess_sum float8 := 0;
  e_ids integer[] := '{}';
  e_w float8[] := '{}';
  e_tau float8[] := '{}';
  e_cut integer[] := '{}';
  ord integer[];
  i integer;
  j integer;
  m integer;
  cands integer[];
  c_ub float8[];
  top_docs integer[];
  top_ids text[];
  top_scores float8[];
  bound float8;
  round integer;
BEGIN
  SELECT * INTO st FROM retrieval_lexical_stats WHERE id = 1;
  IF st.chunk_count = 0 OR st.impact_avgdl_min IS NULL THEN RETURN; END IF;
  a := st.total_length::float8 / st.chunk_count;
  SELECT array_agg(t.id ORDER BY t.id), array_agg(q.qtf * ln(1 + (st.chunk_count - t.df + 0.5) / (t.df + 0.5)) ORDER BY t.id)
  INTO t_ids, t_w
  FROM (SELECT l.lexeme, max(coalesce(array_length(l.positions, 1), 1))::float8 AS qtf
        FROM unnest(p_configs) cfg CROSS JOIN LATERAL unnest(to_tsvector(cfg::regconfig, p_query)) l
        GROUP BY l.lexeme) q
  JOIN retrieval_lexicon t ON t.term = q.lexeme
  WHERE t.df > 0;
  IF t_ids IS NULL THEN RETURN; END IF;
  vis := ARRAY(SELECT id FROM retrieval_acls WHERE p_principals IS NULL OR principals && p_principals);
  IF cardinality(vis) = 0 THEN RETURN; END IF;

  -- Exhaustive when asked, when the impacts were quantized with other parameters, or when k is so deep that
  -- seeding alone would touch most of the corpus.
  IF p_k IS NULL OR p_exhaustive OR p_k1 <> st.k1 OR p_b <> st.b
     OR (p_seed IS NULL AND (p_k + 16)::bigint * cardinality(t_ids) >= st.chunk_count) THEN
    cands := ARRAY(SELECT DISTINCT p.doc FROM unnest(t_ids) q(term) JOIN retrieval_impacts p ON p.term = q.term WHERE p.acl = ANY(vis));
    RETURN QUERY SELECT e.chunk_id, e.score FROM retrieval_exact_scores(cands, t_ids, t_w, p_k1, p_b, a) e
      ORDER BY e.score DESC, e.chunk_id LIMIT p_k;
    RETURN;
  END IF;

  r := greatest(1.0, a / st.impact_avgdl_min);
  s := 32767 / (st.k1 + 1);
  -- Per-term upper bound from the list's best impact (visible or not: a bound).
  t_ub := ARRAY(
    SELECT q.w * least(st.k1 + 1, (coalesce((SELECT p.imp FROM retrieval_impacts p WHERE p.term = q.term ORDER BY p.imp DESC LIMIT 1), 0) + 1) / s * r)
    FROM unnest(t_ids, t_w) WITH ORDINALITY AS q(term, w, n) ORDER BY q.n);

  -- Seed: each term's best visible postings, scored exactly.
  -- (p_seed: tests use a tiny seed so that the bounds, not the seed, have to find the top k.)
  m := coalesce(p_seed, p_k + 16);
  seeds := ARRAY(
    SELECT DISTINCT b.doc FROM unnest(t_ids) q(term)
    CROSS JOIN LATERAL (SELECT p.doc FROM retrieval_impacts p WHERE p.term = q.term AND p.acl = ANY(vis) ORDER BY p.imp DESC LIMIT m) b);
  SELECT count(*), min(x.score) INTO seed_n, theta
  FROM (SELECT e.score FROM retrieval_exact_scores(seeds, t_ids, t_w, p_k1, p_b, a) e ORDER BY e.score DESC LIMIT p_k) x;
  IF seed_n < p_k AND m >= p_k THEN
    -- Fewer than k visible matches at all (every term had fewer than m visible postings): the seeds are everything.
    RETURN QUERY SELECT e.chunk_id, e.score FROM retrieval_exact_scores(seeds, t_ids, t_w, p_k1, p_b, a) e
      ORDER BY e.score DESC, e.chunk_id LIMIT p_k;
    RETURN;
  END IF;
  theta := CASE WHEN seed_n < p_k THEN 0 ELSE theta * (1 - 1e-9) END;

  SELECT array_agg(x.doc ORDER BY x.score DESC, x.chunk_id), array_agg(x.chunk_id ORDER BY x.score DESC, x.chunk_id),
         array_agg(x.score ORDER BY x.score DESC, x.chunk_id)
  INTO top_docs, top_ids, top_scores
  FROM (SELECT * FROM retrieval_exact_scores(seeds, t_ids, t_w, p_k1, p_b, a) ORDER BY score DESC, chunk_id LIMIT p_k) x;

  FOR round IN 1..3 LOOP
    -- Non-essential terms: lowest bounds first while their sum stays below θ.
    ord := ARRAY(SELECT n::integer FROM unnest(t_ub) WITH ORDINALITY AS u(ub, n) ORDER BY u.ub, u.n);
    cum := 0;
    ess_sum := 0;
    e_ids := '{}';
    e_w := '{}';
    e_tau := '{}';
    e_cut := '{}';
    j := 1;
    WHILE j <= cardinality(ord) AND cum + t_ub[ord[j]] < theta LOOP
      cum := cum + t_ub[ord[j]];
      j := j + 1;
    END LOOP;
    budget := theta - cum;
    FOR i IN j..cardinality(ord) LOOP
      ess_sum := ess_sum + t_ub[ord[i]];
    END LOOP;
    FOR i IN j..cardinality(ord) LOOP
      e_ids := e_ids || t_ids[ord[i]];
      e_w := e_w || t_w[ord[i]];
      e_tau := e_tau || (budget * t_ub[ord[i]] / ess_sum);
      -- A posting below its term's share τ: (imp + 1) / s · r · w < τ ⇔ imp < τ s / (w r) − 1.
      e_cut := e_cut || greatest(0, floor(budget * t_ub[ord[i]] / ess_sum * s / (t_w[ord[i]] * r))::integer - 2);
    END LOOP;

    -- Candidates with their bound: θ + Σ over the essential terms where found of (posting bound − τₜ).
    SELECT array_agg(c.doc ORDER BY c.ub DESC, c.doc), array_agg(c.ub ORDER BY c.ub DESC, c.doc) INTO cands, c_ub
    FROM (
      SELECT p.doc, theta + sum(e.w * least(st.k1 + 1, (p.imp + 1) / s * r) - e.tau) AS ub
      FROM unnest(e_ids, e_w, e_tau, e_cut) AS e(term, w, tau, cut)
      JOIN retrieval_impacts p ON p.term = e.term AND p.imp >= e.cut
      WHERE p.acl = ANY(vis)
      GROUP BY p.doc
      HAVING sum(e.w * least(st.k1 + 1, (p.imp + 1) / s * r) - e.tau) >= -1e-9 * theta
    ) c;
    -- Rescore candidates best bound first, in batches, raising the k-th score as the top k improves; stop at
    -- the first candidate whose bound is below it (every later one's is lower still). When the k-th score has
    -- risen well above θ, plan again with it (higher shares, shorter list ranges, fewer candidates).
    i := 1;
    WHILE cands IS NOT NULL AND i <= cardinality(cands) LOOP
      bound := top_scores[p_k] * (1 - 1e-9);
      EXIT WHEN c_ub[i] < bound;
      EXIT WHEN round < 3 AND i > 1 AND bound > theta * 1.05;
      SELECT array_agg(x.doc ORDER BY x.score DESC, x.chunk_id), array_agg(x.chunk_id ORDER BY x.score DESC, x.chunk_id),
             array_agg(x.score ORDER BY x.score DESC, x.chunk_id)
      INTO top_docs, top_ids, top_scores
      FROM (
        SELECT y.* FROM (
          SELECT DISTINCT ON (u.doc) u.doc, u.chunk_id, u.score FROM (
            SELECT * FROM unnest(top_docs, top_ids, top_scores) AS t(doc, chunk_id, score)
            UNION ALL
            SELECT * FROM retrieval_exact_scores(cands[i:i + 127], t_ids, t_w, p_k1, p_b, a)
          ) u ORDER BY u.doc
        ) y ORDER BY y.score DESC, y.chunk_id LIMIT p_k
      ) x;
      i := i + 128;
    END LOOP;
    EXIT WHEN cands IS NULL OR i > cardinality(cands) OR top_scores[p_k] IS NULL
      OR c_ub[i] < top_scores[p_k] * (1 - 1e-9);
    theta := top_scores[p_k] * (1 - 1e-9);
  END LOOP;
  RETURN QUERY SELECT t.chunk_id, t.score FROM unnest(top_ids, top_scores) AS t(chunk_id, score) ORDER BY t.score DESC, t.chunk_id;
END $$;

SELECT retrieval_rebuild();
