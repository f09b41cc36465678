-- Product images: what we last saw per product, each image's measurements and findings, alt text drafts.

-- One row per product we checked: the images' signature (ids and URLs) is how a later
-- product.updated tells "images changed" from any other edit.
CREATE TABLE sovereign_image_products (
    store_id     text NOT NULL,
    product_id   bigint NOT NULL,
    signature    text NOT NULL,              -- sha256 over the images' (id, src) in order
    images       integer NOT NULL,           -- how many images the product had
    findings     jsonb NOT NULL,             -- every finding of the product's images, plain language
    vision       text NOT NULL,              -- what the vision step did: ok | floor_only: <why> | off
    checked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, product_id)
);
CREATE INDEX sovereign_image_products_checked ON sovereign_image_products (store_id, checked_at DESC);

-- One row per image of a checked product (replaced as a whole when the product's images change).
CREATE TABLE sovereign_image_checks (
    store_id     text NOT NULL,
    product_id   bigint NOT NULL,
    position     integer NOT NULL,
    image_id     bigint,
    src          text NOT NULL,
    sha256       text,                       -- of the bytes fetched (NULL: not fetched)
    phash        text,                       -- 64-bit perceptual hash, hex (NULL: not an image)
    facts        jsonb,                      -- width, height, format, bytes, sharpness, aspect
    findings     jsonb NOT NULL,
    PRIMARY KEY (store_id, product_id, position)
);
CREATE INDEX sovereign_image_checks_phash ON sovereign_image_checks (store_id) WHERE phash IS NOT NULL;

-- Alt text written by a vision model, for review (draft) or already written to the image (published).
CREATE TABLE sovereign_image_alt (
    store_id       text NOT NULL,
    product_id     bigint NOT NULL,
    image_id       bigint NOT NULL,
    src            text NOT NULL,
    alt            text NOT NULL,
    status         text NOT NULL,            -- draft | approved | published | rejected
    shows_product  boolean,                  -- the model's match check (NULL: it did not say)
    match_reason   text,
    model          text,
    reason         text,                     -- why rejected
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, product_id, image_id)
);
CREATE INDEX sovereign_image_alt_status ON sovereign_image_alt (store_id, status, updated_at DESC);
