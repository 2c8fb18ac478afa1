//! Shutdown: [`RunningServer::shutdown`] stops accepting, closes the sockets, drains requests,
//! stores every accepted message and closes the database; dropping a server only cancels.

use super::RunningServer;
use crate::chat::nodes;
use crate::error::{Error, Result};
use crate::hub::close;

impl RunningServer {
    /// Stops gracefully: no new connections; every socket closed with 1001; in-flight requests
    /// finish (up to the configured grace period); every accepted message is stored; the
    /// database is checkpointed and closed.
    pub async fn shutdown(mut self) -> Result<()> {
        let grace = self.ctx.config.timing.shutdown_grace;
        // Goodbye first, so colleagues' apps stop offering a server that is going away.
        if let Some(announcement) = self.announcement.take() {
            announcement.stop().await;
        }
        self.stop_accepting.cancel();
        if let Some(task) = self.accept_task.take() {
            let _ = task.await;
        }
        if let Some(task) = self.redirect_task.take() {
            let _ = task.await;
        }
        self.ctx.sockets.close();
        self.ctx.hub.close_all(close::GOING_AWAY, "server shutting down");
        self.connections.drain.cancel();
        self.connections.tasks.close();
        if tokio::time::timeout(grace, self.connections.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("some HTTP requests were still running after {grace:?}");
        }
        if tokio::time::timeout(grace, self.ctx.sockets.wait())
            .await
            .is_err()
        {
            tracing::warn!("some sockets were still open after {grace:?}");
        }
        self.stop_writer.cancel();
        if let Some(writer) = self.writer_task.take() {
            writer
                .await
                .map_err(|e| Error::Internal(format!("message writer: {e}")))?;
        }
        self.stop_background.cancel();
        for task in self.background.drain(..) {
            let _ = task.await;
        }
        nodes::leave(&self.ctx, self.node).await?;
        self.ctx.store.close().await;
        tracing::info!("confab server stopped");
        Ok(())
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop_accepting.cancel();
        self.stop_background.cancel();
        self.stop_writer.cancel();
    }
}
