-- Messages wait for acceptance (issue 13): a message step parked until this invitation is accepted.
-- AlterTable
ALTER TABLE "Lead" ADD COLUMN     "awaitingInvitationId" UUID;

-- The shared scraping pool: one ledger per workspace per UTC day, each identity's own Sales Navigator
-- capacity per its local day, and each scrape's claim (db/scraping-pool.ts). Empty at first: today's
-- scrapes before this migration are not counted against the pool.
-- CreateTable
CREATE TABLE "LinkedinScrapingPoolDay" (
    "workspaceId" UUID NOT NULL,
    "day" TEXT NOT NULL,
    "used" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LinkedinScrapingPoolDay_pkey" PRIMARY KEY ("workspaceId","day")
);

-- CreateTable
CREATE TABLE "LinkedinScrapingOwnDay" (
    "identityId" UUID NOT NULL,
    "day" TEXT NOT NULL,
    "used" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LinkedinScrapingOwnDay_pkey" PRIMARY KEY ("identityId","day")
);

-- CreateTable
CREATE TABLE "LinkedinScrapingClaim" (
    "idempotencyKey" TEXT NOT NULL,
    "workspaceId" UUID NOT NULL,
    "identityId" UUID NOT NULL,
    "ledger" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "claimedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LinkedinScrapingClaim_pkey" PRIMARY KEY ("idempotencyKey")
);

-- CreateIndex
CREATE INDEX "LinkedinScrapingClaim_identityId_claimedAt_idx" ON "LinkedinScrapingClaim"("identityId", "claimedAt");

-- CreateIndex
CREATE INDEX "Lead_awaitingInvitationId_idx" ON "Lead"("awaitingInvitationId");

