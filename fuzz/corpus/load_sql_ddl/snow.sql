create or replace table db.sch.orders (order_id number(38,0) not null, v variant, ts timestamp_ntz(9), g geography, arr array, o object) cluster by (order_id) comment = 'x';
