-- The developer console lists an app's orders newest first, a page at a time.
CREATE INDEX orders_app_created ON orders (app_id, created_at, id);
