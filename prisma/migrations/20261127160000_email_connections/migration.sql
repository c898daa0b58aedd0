-- AlterTable
ALTER TABLE "EmailInbox" ADD COLUMN     "imapHost" TEXT,
ADD COLUMN     "imapPort" INTEGER,
ADD COLUMN     "imapSecurity" TEXT,
ADD COLUMN     "rateOverrideDaily" INTEGER,
ADD COLUMN     "rateOverrideExpiresAt" TIMESTAMP(3),
ADD COLUMN     "rateOverrideHourly" INTEGER,
ADD COLUMN     "rateOverrideReason" TEXT,
ADD COLUMN     "refreshTokenEnvelope" TEXT,
ADD COLUMN     "statusReason" TEXT,
ADD COLUMN     "syncLastUid" INTEGER,
ADD COLUMN     "syncUidValidity" BIGINT;

-- CreateTable
CREATE TABLE "OAuthState" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "identityId" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OAuthState_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "OAuthState_expiresAt_idx" ON "OAuthState"("expiresAt");

