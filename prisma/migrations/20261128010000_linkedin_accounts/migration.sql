-- LinkedIn accounts (hosted sign-in, connection status), hosted sign-ins, and the simulator's shared state.
-- Existing identities have no connected account: they start not-connected.

-- AlterTable
ALTER TABLE "Identity" ADD COLUMN     "linkedinAccountId" TEXT,
ADD COLUMN     "linkedinStatus" TEXT NOT NULL DEFAULT 'not-connected',
ADD COLUMN     "linkedinStatusReason" TEXT,
ADD COLUMN     "linkedinStatusSince" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateTable
CREATE TABLE "LinkedinHostedAuth" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "identityId" UUID,
    "type" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "accountId" TEXT,
    "completedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LinkedinHostedAuth_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LinkedinSimulatorRecord" (
    "key" TEXT NOT NULL,
    "state" JSONB,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LinkedinSimulatorRecord_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "LinkedinHostedAuth_tokenHash_key" ON "LinkedinHostedAuth"("tokenHash");

-- CreateIndex
CREATE INDEX "LinkedinHostedAuth_workspaceId_accountId_idx" ON "LinkedinHostedAuth"("workspaceId", "accountId");

-- CreateIndex
CREATE INDEX "LinkedinHostedAuth_identityId_createdAt_idx" ON "LinkedinHostedAuth"("identityId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Identity_linkedinAccountId_key" ON "Identity"("linkedinAccountId");

-- AddForeignKey
ALTER TABLE "LinkedinHostedAuth" ADD CONSTRAINT "LinkedinHostedAuth_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LinkedinHostedAuth" ADD CONSTRAINT "LinkedinHostedAuth_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE SET NULL ON UPDATE CASCADE;
