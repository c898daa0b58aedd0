-- CreateTable
CREATE TABLE "LinkedinInvitation" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "identityId" UUID NOT NULL,
    "profileUrl" TEXT NOT NULL,
    "note" TEXT,
    "leadId" UUID,
    "status" TEXT NOT NULL,
    "gatewayInvitationId" TEXT,
    "idempotencyKey" TEXT NOT NULL,
    "requestedAt" TIMESTAMP(3) NOT NULL,
    "sentAt" TIMESTAMP(3),
    "acceptedAt" TIMESTAMP(3),
    "withdrawalRequestedAt" TIMESTAMP(3),
    "withdrawnAt" TIMESTAMP(3),
    "withdrawalReason" TEXT,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LinkedinInvitation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "LinkedinInvitation_idempotencyKey_key" ON "LinkedinInvitation"("idempotencyKey");

-- CreateIndex
CREATE INDEX "LinkedinInvitation_identityId_status_sentAt_idx" ON "LinkedinInvitation"("identityId", "status", "sentAt");

-- CreateIndex
CREATE INDEX "LinkedinInvitation_identityId_profileUrl_idx" ON "LinkedinInvitation"("identityId", "profileUrl");

-- CreateIndex
CREATE INDEX "LinkedinInvitation_identityId_withdrawnAt_idx" ON "LinkedinInvitation"("identityId", "withdrawnAt");

-- CreateIndex
CREATE UNIQUE INDEX "LinkedinInvitation_identityId_gatewayInvitationId_key" ON "LinkedinInvitation"("identityId", "gatewayInvitationId");

-- AddForeignKey
ALTER TABLE "LinkedinInvitation" ADD CONSTRAINT "LinkedinInvitation_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LinkedinInvitation" ADD CONSTRAINT "LinkedinInvitation_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

