-- CreateTable
CREATE TABLE "EmailInbox" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "identityId" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "displayName" TEXT,
    "provider" TEXT NOT NULL DEFAULT 'imap-smtp',
    "smtpHost" TEXT NOT NULL,
    "smtpPort" INTEGER NOT NULL,
    "smtpSecurity" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "passwordEnvelope" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'connected',
    "dailyRate" INTEGER NOT NULL DEFAULT 30,
    "hourlyRate" INTEGER NOT NULL DEFAULT 5,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EmailInbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "EmailInbox_workspaceId_idx" ON "EmailInbox"("workspaceId");

-- CreateIndex
CREATE UNIQUE INDEX "EmailInbox_identityId_email_key" ON "EmailInbox"("identityId", "email");

-- AddForeignKey
ALTER TABLE "EmailInbox" ADD CONSTRAINT "EmailInbox_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailInbox" ADD CONSTRAINT "EmailInbox_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

