-- An API key may opt in to cached answers for sampled requests (temperature > 0 without a seed).
ALTER TABLE sovereign_api_keys ADD COLUMN IF NOT EXISTS cache_sampled boolean NOT NULL DEFAULT false;
