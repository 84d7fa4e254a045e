-- FreshBox gold-layer orders (Databricks / Spark SQL, Hive-style table definition).
CREATE TABLE IF NOT EXISTS gold.orders (
  order_id STRING NOT NULL COMMENT 'Surrogate key generated at checkout.',
  attributes MAP<STRING, STRING>,
  promo_codes ARRAY<STRING>,
  created_at TIMESTAMP,
  order_date DATE
)
PARTITIONED BY (order_date)
COMMENT 'One row per box order';
