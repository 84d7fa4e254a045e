-- FreshBox meal-kit model: orders and their items (PostgreSQL).
CREATE SCHEMA IF NOT EXISTS commerce;

CREATE TABLE commerce.orders (
    order_id        UUID PRIMARY KEY,
    customer_id     UUID NOT NULL REFERENCES commerce.customers (customer_id),
    box_plan        VARCHAR(5) NOT NULL CHECK (box_plan ~ '^[24]P-[2-5]R$'),
    recipes_per_box SMALLINT NOT NULL DEFAULT 3 CHECK (recipes_per_box BETWEEN 2 AND 5),
    order_date      DATE NOT NULL,
    delivery_week   DATE NOT NULL,
    total_amount    NUMERIC(12, 2) NOT NULL DEFAULT 0.00,
    currency        CHAR(3) NOT NULL DEFAULT 'GBP',
    status          VARCHAR(16) NOT NULL DEFAULT 'pending'::character varying,
    is_first_box    BOOLEAN NOT NULL DEFAULT FALSE,
    promo_codes     TEXT[],
    payment         JSONB NULL,
    discount_pence  INTEGER DEFAULT -150,
    external_ref    VARCHAR(64) UNIQUE,
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT orders_updated_after_created CHECK (updated_at >= created_at)
);

COMMENT ON TABLE commerce.orders IS 'One row per box order; a subscription produces one order per delivery week.';
COMMENT ON COLUMN commerce.orders.order_id IS 'Surrogate key generated at checkout.';

CREATE INDEX orders_customer_idx ON commerce.orders (customer_id);

CREATE TABLE commerce.order_items (
    order_id   UUID NOT NULL,
    line_no    INT NOT NULL,
    sku        VARCHAR(18) NOT NULL,
    quantity   SMALLINT NOT NULL CHECK (quantity > 0),
    unit_price DECIMAL(8,2),
    PRIMARY KEY (order_id, line_no),
    FOREIGN KEY (order_id) REFERENCES commerce.orders (order_id)
);
