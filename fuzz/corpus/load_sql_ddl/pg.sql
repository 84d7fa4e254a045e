CREATE TABLE "s"."t" (id bigint PRIMARY KEY, amount numeric(12,2) NOT NULL CHECK (amount >= 0), tags text[], meta jsonb DEFAULT '{}', created timestamptz DEFAULT now(), UNIQUE (id, amount));
CREATE TABLE u (a int REFERENCES t(id), b varchar(10) COLLATE "C", c interval, d decimal, e double precision);
