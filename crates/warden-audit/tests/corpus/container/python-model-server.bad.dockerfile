# A PyTorch sentiment model behind FastAPI, as a team first writes it: one stage,
# root, secrets and the model baked in, packages floating, an installer piped
# into Python and an SSH server "for debugging".
# warden-test: expect docker-from-unpinned-digest@10 docker-user-root@10 docker-no-healthcheck@10
# warden-test: expect docker-secret-in-env@13 docker-tls-verification-disabled@13
# warden-test: expect docker-unpinned-packages@18 docker-curl-pipe-shell@21 docker-unpinned-packages@23
# warden-test: expect docker-add-instead-of-copy@27 docker-tls-verification-disabled@28
# warden-test: expect docker-secret-file-copied@32 docker-model-baked-in@33
# warden-test: expect docker-add-remote-url@34 docker-model-baked-in@34 docker-sudo@37 docker-password-set@37 docker-expose-ssh@39
FROM python:3.11

LABEL maintainer="ml-platform@example.com"
ENV PYTHONUNBUFFERED=1 \
    TOKENIZERS_PARALLELISM=false \
    HF_TOKEN=hf_kTqPzWmXbNcVrLsYdHgFjAe \
    PIP_TRUSTED_HOST=pypi.internal.example.com

RUN apt-get update && apt-get install -y curl git build-essential openssh-server sudo

# Poetry's official installer
RUN curl -sSL https://install.python-poetry.org | python3 -

RUN pip install --upgrade pip && pip install torch==2.3.1 transformers fastapi "uvicorn[standard]"

WORKDIR /app

ADD requirements.txt .
RUN pip install -r requirements.txt \
      --extra-index-url https://pypi.internal.example.com/simple --trusted-host pypi.internal.example.com

# config, weights and code
COPY .env /app/.env
COPY models/sentiment.pt /app/models/sentiment.pt
ADD https://huggingface.co/distilbert/distilbert-base-uncased-finetuned-sst-2-english/resolve/main/pytorch_model.bin /app/models/
COPY . .

RUN sudo mkdir -p /var/run/sshd && echo 'root:debug' | chpasswd

EXPOSE 8000 22
CMD ["uvicorn", "server:app", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]
