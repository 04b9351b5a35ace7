-- The last incident message rendered to Discord (a hash), so the bot edits only when it changed.
ALTER TABLE incidents ADD COLUMN discord_render_hash TEXT;

-- /ack typed inside a thread finds its incident by the thread's id.
CREATE INDEX incidents_by_discord_thread_id ON incidents (discord_thread_id) WHERE discord_thread_id IS NOT NULL;
