-- Seed data for the lab PostgreSQL used by the OpenBao database engine.
-- Idempotent: scripts/bao.sh runs it on every `up`.
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS public.invoices (
  id          bigserial PRIMARY KEY,
  customer    text        NOT NULL,
  amount_cents bigint     NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS public.daily_totals (
  day          date PRIMARY KEY,
  amount_cents bigint NOT NULL
);
INSERT INTO public.invoices (customer, amount_cents)
SELECT 'acme', 1999 WHERE NOT EXISTS (SELECT 1 FROM public.invoices);
