# One image for the API, the main worker, the signing worker (and later the perspectives); the command picks the role.
# Production only: development runs everything as plain processes (npm start).
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends openssl python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
USER node
ENV CA_ENV=production
CMD ["node", "--import", "tsx", "api/server.ts"]
