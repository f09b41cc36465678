-- The operator console: its users, their sessions, and the fraud review decisions made there.
-- Passwords are stored as scrypt hashes only; sessions by the sha256 of their cookie token.

CREATE TABLE sovereign_console_users (
    name           text PRIMARY KEY,
    password_hash  text NOT NULL,              -- scrypt$n$r$p$salt$hash (base64), never the password
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_login_at  timestamptz,
    disabled_at    timestamptz
);

CREATE TABLE sovereign_console_sessions (
    token_hash    text PRIMARY KEY,            -- sha256 of the cookie value
    user_name     text NOT NULL REFERENCES sovereign_console_users (name) ON DELETE CASCADE,
    csrf          text NOT NULL,               -- per-session token every POST must carry
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    flash         text                         -- one message for the next page, then cleared
);
CREATE INDEX sovereign_console_sessions_user ON sovereign_console_sessions (user_name);

-- A person's decision on an order the fraud feature held: release (back to processing) or keep.
CREATE TABLE sovereign_console_fraud_reviews (
    id          bigserial PRIMARY KEY,
    store_id    text NOT NULL,
    order_id    bigint NOT NULL,
    result_id   bigint NOT NULL,               -- the sovereign_fraud_results row that was reviewed
    decision    text NOT NULL CHECK (decision IN ('release', 'keep')),
    user_name   text NOT NULL,
    detail      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sovereign_console_fraud_reviews_order ON sovereign_console_fraud_reviews (store_id, order_id, result_id);
