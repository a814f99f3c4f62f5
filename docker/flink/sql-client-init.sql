-- Session init of the sql-client service (docker-compose.yml): the demo source tables of
-- docs/quickstart.md, in Flink's default catalog. Apache Fluss's quickstart image generates them
-- with flink-faker; this uses Flink's built-in datagen connector instead (no extra jar), so the
-- names and phone numbers are random strings rather than realistic ones.

CREATE TEMPORARY TABLE source_order (
    `order_key` BIGINT,
    `cust_key` INT,
    `total_price` DECIMAL(15, 2),
    `order_date` DATE,
    `order_priority` STRING,
    `clerk` STRING
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '10',
  'number-of-rows' = '10000',
  'fields.order_key.min' = '0',
  'fields.order_key.max' = '100000000',
  'fields.cust_key.min' = '0',
  'fields.cust_key.max' = '19',
  'fields.total_price.min' = '1',
  'fields.total_price.max' = '1000',
  'fields.order_priority.length' = '6',
  'fields.clerk.length' = '6'
);

CREATE TEMPORARY TABLE source_customer (
    `cust_key` INT,
    `name` STRING,
    `phone` STRING,
    `nation_key` INT NOT NULL,
    `acctbal` DECIMAL(15, 2),
    `mktsegment` STRING
) WITH (
  'connector' = 'datagen',
  'number-of-rows' = '200',
  'fields.cust_key.min' = '0',
  'fields.cust_key.max' = '19',
  'fields.name.length' = '8',
  'fields.phone.length' = '10',
  'fields.nation_key.min' = '1',
  'fields.nation_key.max' = '4',
  'fields.acctbal.min' = '1',
  'fields.acctbal.max' = '1000',
  'fields.mktsegment.length' = '8'
);

CREATE TEMPORARY TABLE source_nation (
  `nation_key` INT NOT NULL,
  `name` STRING
) WITH (
  'connector' = 'datagen',
  'number-of-rows' = '100',
  'fields.nation_key.min' = '1',
  'fields.nation_key.max' = '4',
  'fields.name.length' = '6'
);

SET 'table.exec.sink.not-null-enforcer' = 'DROP';
