-- The user's payment history (GET /api/h5/account/payments): newest paid orders of
-- one payer. Without it the query scans every paid order.
CREATE INDEX orders_payer_paid ON orders (payer_user_id, paid_at) WHERE status = 'paid';
