-- Up Migration
CREATE TABLE documents (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body text NOT NULL DEFAULT '' CHECK (length(body) <= 100000),
  tags text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The record of links; Neo4j holds the queryable copy and is rebuilt from here.
CREATE TABLE document_links (
  from_id integer NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  to_id integer NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (from_id, to_id),
  CHECK (from_id <> to_id)
);
CREATE INDEX document_links_to_id ON document_links (to_id);

-- Work the search index (vector) or the graph still owes a document. No foreign key: a
-- deleted document must still be removed from both. `generation` moves on every write,
-- so a job finished for an older version of the document does not clear a newer one.
CREATE TABLE index_queue (
  document_id integer NOT NULL,
  target text NOT NULL CHECK (target IN ('vector', 'graph')),
  generation bigint NOT NULL DEFAULT 1,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  enqueued_at timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  leased_until timestamptz,
  PRIMARY KEY (document_id, target)
);
CREATE INDEX index_queue_due ON index_queue (target, next_attempt_at);

-- Down Migration
DROP TABLE index_queue;
DROP TABLE document_links;
DROP TABLE documents;
