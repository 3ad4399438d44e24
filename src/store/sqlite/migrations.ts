/**
 * Numbered schema migrations. Each runs once, in order, inside a transaction, and bumps
 * `schema_version`. Never edit a released migration: add the next number.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: "messages, checkpoints, results, jobs, outbox, commands",
    sql: `
CREATE TABLE messages (
  msgid        TEXT PRIMARY KEY,
  mailbox      TEXT NOT NULL,
  uid          INTEGER,
  root         TEXT NOT NULL,
  subject      TEXT NOT NULL,
  from_addr    TEXT,
  in_reply_to  TEXT,
  refs         TEXT NOT NULL,            -- JSON array
  date         INTEGER,                  -- ms since epoch, from the Date: header
  is_patch     INTEGER NOT NULL,
  ignored      TEXT,                     -- why it is not triaged (own mail, bot, ...)
  parsed       TEXT NOT NULL,            -- MailMessage as JSON, without raw
  raw          BLOB,                     -- kept for mails that may carry a patch (git am)
  received_at  INTEGER NOT NULL
);
CREATE INDEX messages_root ON messages(root);
CREATE INDEX messages_author ON messages(from_addr, is_patch, date);

CREATE TABLE checkpoints (
  mailbox      TEXT PRIMARY KEY,
  uid_validity INTEGER NOT NULL,
  last_uid     INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);

CREATE TABLE revisions (
  lineage      TEXT NOT NULL,
  version      INTEGER NOT NULL,
  root         TEXT NOT NULL,
  result       TEXT NOT NULL,            -- RevisionResult as JSON
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (lineage, version)
);
CREATE INDEX revisions_updated ON revisions(updated_at);

CREATE TABLE stage_results (
  id           INTEGER PRIMARY KEY,
  lineage      TEXT NOT NULL,
  version      INTEGER NOT NULL,
  stage        TEXT NOT NULL,
  status       TEXT NOT NULL,
  duration_ms  INTEGER NOT NULL,
  detail       TEXT,
  at           INTEGER NOT NULL
);
CREATE INDEX stage_results_rev ON stage_results(lineage, version);

CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY,
  kind             TEXT NOT NULL,
  key              TEXT NOT NULL,
  payload          TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('queued','running','done','failed','dead')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  run_at           INTEGER NOT NULL,
  first_request_at INTEGER NOT NULL,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
-- one queued job per (kind, key): a burst of mails in a thread coalesces into one run
CREATE UNIQUE INDEX jobs_one_queued ON jobs(kind, key) WHERE state = 'queued';
CREATE INDEX jobs_due ON jobs(state, run_at);

CREATE TABLE outbox (
  key          TEXT PRIMARY KEY,
  message_id   TEXT NOT NULL UNIQUE,
  root         TEXT NOT NULL,
  in_reply_to  TEXT NOT NULL,
  rcpt_to      TEXT NOT NULL,            -- JSON array
  rcpt_cc      TEXT NOT NULL,            -- JSON array
  subject      TEXT NOT NULL,
  eml          TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('pending','sending','sent','abandoned','failed')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error   TEXT,
  created_at   INTEGER NOT NULL,
  sending_at   INTEGER,
  sent_at      INTEGER,
  sent_how     TEXT
);
CREATE INDEX outbox_state ON outbox(state, next_attempt_at);

CREATE TABLE retests (
  token        TEXT PRIMARY KEY,         -- the command mail's Message-ID
  root         TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('open','used')),
  created_at   INTEGER NOT NULL,
  used_at      INTEGER
);

CREATE TABLE commands (
  id           INTEGER PRIMARY KEY,
  msgid        TEXT NOT NULL,
  idx          INTEGER NOT NULL,
  sender       TEXT NOT NULL,
  verb         TEXT NOT NULL,
  args         TEXT NOT NULL,            -- JSON array
  thread       TEXT,
  state        TEXT NOT NULL,
  result       TEXT,
  reply_key    TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  UNIQUE (msgid, idx)
);
CREATE INDEX commands_sender ON commands(sender, created_at);
`,
  },
  {
    version: 2,
    name: "stage records: findings and error of each stage's output",
    sql: `
ALTER TABLE stage_results ADD COLUMN findings TEXT NOT NULL DEFAULT '[]';
ALTER TABLE stage_results ADD COLUMN error TEXT;
`,
  },
  {
    version: 3,
    name: "message body fingerprints and conflicting copies of one Message-ID",
    sql: `
ALTER TABLE messages ADD COLUMN body_hash TEXT;        -- bodyFingerprint(); NULL for older rows
ALTER TABLE messages ADD COLUMN source TEXT;           -- where the stored (first) copy came from

CREATE TABLE conflicts (
  id           INTEGER PRIMARY KEY,
  msgid        TEXT NOT NULL,            -- the Message-ID both copies carry (the first is kept)
  mailbox      TEXT NOT NULL,
  uid          INTEGER,
  source       TEXT NOT NULL,
  from_addr    TEXT,
  reason       TEXT NOT NULL,            -- "different sender: ...", "different body"
  received_at  INTEGER NOT NULL
);
CREATE INDEX conflicts_msgid ON conflicts(msgid, source);
`,
  },
];
