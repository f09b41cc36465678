-- Optional TOTP second factor for console users (`sovereign console totp enable NAME`).
-- The shared secret is sealed with the service's secret key (AES-GCM, store/secrets_box.py), never plaintext;
-- totp_last_step is the 30-second time step of the last code accepted, so a code is never accepted twice.
ALTER TABLE sovereign_console_users
    ADD COLUMN totp_secret      text,          -- v1:<key id>:<sealed secret>; NULL: no second factor
    ADD COLUMN totp_enabled_at  timestamptz,
    ADD COLUMN totp_last_step   bigint;        -- unix time // 30 of the last accepted code
