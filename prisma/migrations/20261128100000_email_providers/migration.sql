-- AlterTable: reply sync through the Gmail API and Microsoft Graph, its status on the inbox, and
-- credentials that can be erased (a disconnected inbox keeps no envelope).
ALTER TABLE "EmailInbox" ADD COLUMN     "gmailHistoryId" TEXT,
ADD COLUMN     "graphDeltaLink" TEXT,
ADD COLUMN     "lastSyncAt" TIMESTAMP(3),
ADD COLUMN     "lastSyncError" TEXT,
ADD COLUMN     "syncStatus" TEXT,
ALTER COLUMN "passwordEnvelope" DROP NOT NULL;

-- OAuth inboxes stored "" for "no password": null says it.
UPDATE "EmailInbox" SET "passwordEnvelope" = NULL WHERE "passwordEnvelope" = '';

-- AlterTable
ALTER TABLE "InboxWarmup" ADD COLUMN     "providerError" JSONB;
