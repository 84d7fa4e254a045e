-- FreshBox orders as landed in BigQuery.
CREATE TABLE `freshbox-analytics.commerce.orders` (
  order_id STRING NOT NULL OPTIONS(description="Surrogate key generated at checkout."),
  total_amount NUMERIC(12, 2),
  items ARRAY<STRUCT<sku STRING, quantity INT64, unit_price NUMERIC(8, 2)>>,
  payment STRUCT<method STRING, captured_at TIMESTAMP>,
  created_at TIMESTAMP NOT NULL,
  order_date DATE
)
PARTITION BY order_date
OPTIONS(description="One row per box order.");
