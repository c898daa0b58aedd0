-- CreateTable
CREATE TABLE "InboxWarmup" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "identityId" UUID NOT NULL,
    "inboxId" UUID NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'running',
    "startedAt" TIMESTAMP(3) NOT NULL,
    "endsAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),
    "pauseCampaigns" BOOLEAN NOT NULL DEFAULT true,
    "pausedCampaigns" JSONB NOT NULL DEFAULT '[]',
    "providerStatus" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "InboxWarmup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IdentityShareLink" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "identityId" UUID NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "scope" TEXT NOT NULL DEFAULT 'reconnect',
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IdentityShareLink_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "InboxWarmup_inboxId_key" ON "InboxWarmup"("inboxId");

-- CreateIndex
CREATE INDEX "InboxWarmup_identityId_state_idx" ON "InboxWarmup"("identityId", "state");

-- CreateIndex
CREATE INDEX "InboxWarmup_workspaceId_idx" ON "InboxWarmup"("workspaceId");

-- CreateIndex
CREATE UNIQUE INDEX "IdentityShareLink_tokenHash_key" ON "IdentityShareLink"("tokenHash");

-- CreateIndex
CREATE INDEX "IdentityShareLink_identityId_createdAt_idx" ON "IdentityShareLink"("identityId", "createdAt");

-- CreateIndex
CREATE INDEX "IdentityShareLink_workspaceId_idx" ON "IdentityShareLink"("workspaceId");

-- AddForeignKey
ALTER TABLE "InboxWarmup" ADD CONSTRAINT "InboxWarmup_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "InboxWarmup" ADD CONSTRAINT "InboxWarmup_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IdentityShareLink" ADD CONSTRAINT "IdentityShareLink_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IdentityShareLink" ADD CONSTRAINT "IdentityShareLink_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

