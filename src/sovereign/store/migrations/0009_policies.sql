-- Back-office assistants: policy documents in collections, their chunks with embeddings (pgvector),
-- ingestion runs, who may read which collection, the support answer cache and the hashed audit.

CREATE EXTENSION IF NOT EXISTS vector;

-- A named set of documents ("hr-eu", "store:shop"). version goes up with every change to what it
-- answers from; caches of answers derived from the collection key on it.
CREATE TABLE sovereign_policy_collections (
    name        text PRIMARY KEY,
    version     bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One ingestion (`sovereign policies ingest`): the job updates it, the CLI's progress bar reads it.
CREATE TABLE sovereign_policy_ingests (
    id           bigserial PRIMARY KEY,
    collection   text NOT NULL REFERENCES sovereign_policy_collections (name) ON DELETE CASCADE,
    total        integer NOT NULL,                -- new or changed documents to index
    done         integer NOT NULL DEFAULT 0,
    chunks       integer NOT NULL DEFAULT 0,
    failed       integer NOT NULL DEFAULT 0,
    unchanged    integer NOT NULL DEFAULT 0,      -- same content hash as indexed: skipped
    removed      integer NOT NULL DEFAULT 0,      -- with prune: documents no longer in the source
    prune        boolean NOT NULL DEFAULT false,
    state        text NOT NULL DEFAULT 'queued',  -- queued | running | done | failed
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

-- Documents as uploaded (the job parses them, so a worker elsewhere needs no access to the files).
CREATE TABLE sovereign_policy_documents (
    collection       text NOT NULL REFERENCES sovereign_policy_collections (name) ON DELETE CASCADE,
    doc_id           text NOT NULL,               -- the path inside the ingested folder, or the file name
    title            text NOT NULL,
    format           text NOT NULL,               -- markdown | text | pdf | docx
    content_sha256   text NOT NULL,
    content          bytea NOT NULL,
    chunks           integer NOT NULL DEFAULT 0,
    state            text NOT NULL DEFAULT 'pending',  -- pending | indexed | failed
    error            text,
    embedding_model  text,
    seen_ingest      bigint,                      -- the last run that listed it (prune removes the others)
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (collection, doc_id)
);

CREATE TABLE sovereign_policy_chunks (
    id          bigserial PRIMARY KEY,
    collection  text NOT NULL,
    doc_id      text NOT NULL,
    ord         integer NOT NULL,
    section     text NOT NULL,
    content     text NOT NULL,
    embedding   vector(384) NOT NULL,             -- all-MiniLM-L6-v2, L2-normalised
    FOREIGN KEY (collection, doc_id) REFERENCES sovereign_policy_documents (collection, doc_id) ON DELETE CASCADE
);
CREATE INDEX sovereign_policy_chunks_doc ON sovereign_policy_chunks (collection, doc_id);

-- Which collections an API key may ask about ('*': all). A key with none sees none.
CREATE TABLE sovereign_policy_grants (
    api_key_id  text NOT NULL REFERENCES sovereign_api_keys (id) ON DELETE CASCADE,
    collection  text NOT NULL,
    PRIMARY KEY (api_key_id, collection)
);

-- Semantic cache of shopper answers: per collection and policy version; never personal data.
CREATE TABLE sovereign_support_cache (
    id              bigserial PRIMARY KEY,
    collection      text NOT NULL,
    policy_version  bigint NOT NULL,
    question_key    text NOT NULL,                -- sha256 of the normalised question (never the question)
    embedding       vector(384) NOT NULL,
    answer          jsonb NOT NULL,
    hits            integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_hit_at     timestamptz,
    UNIQUE (collection, policy_version, question_key)
);

-- Every question and answer, as hashes; the clear text only when the operator turned it on.
CREATE TABLE sovereign_assistant_audit (
    id               bigserial PRIMARY KEY,
    at               timestamptz NOT NULL DEFAULT now(),
    feature          text NOT NULL,               -- policies | support
    api_key_id       text,
    scope            text[] NOT NULL DEFAULT '{}', -- the collections searched
    outcome          text NOT NULL,               -- answered | not_in_policies | passages | cached | order_* ...
    question_sha256  text NOT NULL,
    answer_sha256    text NOT NULL,
    citations        text[] NOT NULL DEFAULT '{}',
    provider         text NOT NULL DEFAULT '',
    model            text NOT NULL DEFAULT '',
    latency_ms       double precision NOT NULL DEFAULT 0,
    question         text,                        -- NULL unless assistants.audit_clear_text is on
    answer           text
);
CREATE INDEX sovereign_assistant_audit_at ON sovereign_assistant_audit (feature, at);
