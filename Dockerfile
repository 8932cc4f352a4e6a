# One image for every CA process of docker-compose.yml (API, ACME, OCSP responder, main/signing/perspective workers,
# the database jobs); the command picks the role, the environment configures it (config/index.ts), each container runs
# under its own uid. The pre-issuance linters (POLICY-2026.md, issuance step 6) are in the image: zlint v3.7.3 built
# from the Go module proxy (and zlint-resident, the same zlint as a library: pki/zlint-resident/), pkilint 0.13.3 from
# PyPI in a venv. Production only: development runs plain processes.
FROM golang:1.25-bookworm AS zlint
RUN go install github.com/zmap/zlint/v3/cmd/zlint@v3.7.3
COPY pki/zlint-resident /src/zlint-resident
RUN go -C /src/zlint-resident build -o /go/bin/zlint-resident .

FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends openssl python3 python3-venv make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/pkilint \
  && /opt/pkilint/bin/pip install --no-cache-dir pkilint==0.13.3 \
  && ln -s /opt/pkilint/bin/lint_* /usr/local/bin/
COPY --from=zlint /go/bin/zlint /go/bin/zlint-resident /usr/local/bin/
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV CA_ENV=production
# No process runs as root: compose gives each its own uid (10001…); this default is for a bare `docker run`.
USER node
CMD ["node", "--import", "tsx", "api/server.ts"]
