// Command gen writes the synthetic test corpus of internal/mailparse.
// All people, companies and addresses are invented.
//
//	cd internal/mailparse && go run ./testdata/gen
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

var corpus = map[string]string{}

// add registers a message written with "\n" line endings (stored as CRLF).
func add(name, msg string) { corpus[name] = crlf(msg) }

// addRaw registers a message stored byte for byte.
func addRaw(name, msg string) { corpus[name] = msg }

func main() {
	dir := "testdata/corpus"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	clients()
	charsets()
	encodedWords()
	structure()
	dsns()
	autoReplies()
	hostile()
	names := make([]string, 0, len(corpus))
	for n := range corpus {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n+".eml"), []byte(corpus[n]), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Printf("wrote %d messages to %s\n", len(names), dir)
}

var (
	latin1 = charmap.ISO8859_1
	latin9 = charmap.ISO8859_15
	cp1252 = charmap.Windows1252
	cp1251 = charmap.Windows1251
	koi8r  = charmap.KOI8R
)

func clients() {
	add("gmail_plain_ptbr", `Delivered-To: suporte@lojaexemplo.com.br
Received: by 2002:a05:6a10:9e0f:b0:5a1:1234:5678 with SMTP id abc123; Mon, 3 Jun 2024 06:15:22 -0700 (PDT)
ARC-Seal: i=1; a=rsa-sha256; t=1717420522; cv=none; d=google.com; s=arc-20160816; b=dGVzdA==
ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=google.com; s=arc-20160816; h=to:subject:message-id:date:from:mime-version; bh=dGVzdA==; b=dGVzdA==
ARC-Authentication-Results: i=1; mx.google.com; dkim=pass header.i=@gmail.com; spf=pass smtp.mailfrom=mariana.souza.teste@gmail.com; dmarc=pass (p=NONE) header.from=gmail.com
Return-Path: <mariana.souza.teste@gmail.com>
Received-SPF: pass (google.com: domain of mariana.souza.teste@gmail.com designates 209.85.220.41 as permitted sender) client-ip=209.85.220.41;
Authentication-Results: mx.lojaexemplo.com.br; dkim=pass header.d=gmail.com; spf=pass smtp.mailfrom=gmail.com; dmarc=pass header.from=gmail.com
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=gmail.com; s=20230601; t=1717420522; h=to:subject:message-id:date:from:mime-version:from:to:cc:subject:date:message-id:reply-to; bh=dGVzdA==; b=dGVzdA==
MIME-Version: 1.0
From: Mariana Souza <mariana.souza.teste@gmail.com>
Date: Mon, 3 Jun 2024 10:15:08 -0300
Message-ID: <CAF3x9Yk+QvT8p1mN2oLz=QfE4uJ7Hh0dXk@mail.gmail.com>
Subject: =?UTF-8?Q?Pedido_n=C2=BA_4821_n=C3=A3o_chegou?=
To: suporte@lojaexemplo.com.br
Content-Type: multipart/alternative; boundary="000000000000a1b2c3061a7f0e2d"

--000000000000a1b2c3061a7f0e2d
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Ol=C3=A1,

Fiz o pedido n=C2=BA 4821 h=C3=A1 dez dias e ainda n=C3=A3o recebi. O rastreio=
 parou em "objeto em tr=C3=A2nsito".

Podem verificar, por favor?

Obrigada,
Mariana

--000000000000a1b2c3061a7f0e2d
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr"><div>Ol=C3=A1,</div><div><br></div><div>Fiz o pedido n=C2=BA=
 4821 h=C3=A1 dez dias e ainda n=C3=A3o recebi. O rastreio parou em &quot;obj=
eto em tr=C3=A2nsito&quot;.</div><div><br></div><div>Podem verificar, por fav=
or?</div><div><br></div><div>Obrigada,</div><div>Mariana</div></div>

--000000000000a1b2c3061a7f0e2d--
`)

	add("gmail_reply_quoted", `MIME-Version: 1.0
From: Mariana Souza <mariana.souza.teste@gmail.com>
Date: Tue, 4 Jun 2024 09:02:41 -0300
Message-ID: <CAF3x9YnR2d+reply2@mail.gmail.com>
In-Reply-To: <ticket-4821.1717423000@lojaexemplo.com.br>
References: <CAF3x9Yk+QvT8p1mN2oLz=QfE4uJ7Hh0dXk@mail.gmail.com>
 <ticket-4821.1717423000@lojaexemplo.com.br>
Subject: Re: [#4821] Pedido não chegou
To: Loja Exemplo Suporte <suporte@lojaexemplo.com.br>
Content-Type: multipart/alternative; boundary="0000000000004d5e6f061a8c11aa"

--0000000000004d5e6f061a8c11aa
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Recebi hoje, obrigada pela ajuda!

Em seg., 3 de jun. de 2024 =C3=A0s 14:36, Loja Exemplo Suporte <
suporte@lojaexemplo.com.br> escreveu:

> Ol=C3=A1 Mariana,
>
> Verificamos com a transportadora: a entrega est=C3=A1 prevista para amanh=
=C3=A3.
>
> Atenciosamente,
> Equipe Loja Exemplo
>

--0000000000004d5e6f061a8c11aa
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Recebi hoje, obrigada pela ajuda!</div><br><div class=3D"gm=
ail_quote"><div dir=3D"ltr" class=3D"gmail_attr">Em seg., 3 de jun. de 2024 =
=C3=A0s 14:36, Loja Exemplo Suporte &lt;<a href=3D"mailto:suporte@lojaexemplo=
.com.br">suporte@lojaexemplo.com.br</a>&gt; escreveu:<br></div><blockquote cl=
ass=3D"gmail_quote" style=3D"margin:0px 0px 0px 0.8ex;border-left:1px solid r=
gb(204,204,204);padding-left:1ex">Ol=C3=A1 Mariana,<br><br>Verificamos com a =
transportadora: a entrega est=C3=A1 prevista para amanh=C3=A3.<br><br>Atencio=
samente,<br>Equipe Loja Exemplo</blockquote></div>

--0000000000004d5e6f061a8c11aa--
`)

	add("gmail_inline_image", `MIME-Version: 1.0
From: Carlos Pereira <carlos.pereira.teste@gmail.com>
Date: Wed, 5 Jun 2024 11:20:00 -0300
Message-ID: <CAJ8kLmN0pQ1r2s3t4u5v6w7x8y9z@mail.gmail.com>
Subject: Tela de erro no checkout
To: suporte@lojaexemplo.com.br
Content-Type: multipart/related; boundary="000000000000f0e1d2061a9d3344"

--000000000000f0e1d2061a9d3344
Content-Type: multipart/alternative; boundary="000000000000f0e1d1061a9d3343"

--000000000000f0e1d1061a9d3343
Content-Type: text/plain; charset="UTF-8"

Segue print do erro:
[image: erro.png]

--000000000000f0e1d1061a9d3343
Content-Type: text/html; charset="UTF-8"

<div dir="ltr">Segue print do erro:<div><img src="cid:ii_lx1abc2d0" alt="erro.png" width="542" height="211"><br></div></div>

--000000000000f0e1d1061a9d3343--

--000000000000f0e1d2061a9d3344
Content-Type: image/png; name="erro.png"
Content-Disposition: inline; filename="erro.png"
Content-Transfer-Encoding: base64
X-Attachment-Id: ii_lx1abc2d0
Content-ID: <ii_lx1abc2d0>

`+b64(tinyPNG)+`--000000000000f0e1d2061a9d3344--
`)

	add("gmail_attachment_pdf", `MIME-Version: 1.0
From: =?UTF-8?Q?Jo=C3=A3o_Almeida?= <joao.almeida.teste@gmail.com>
Date: Thu, 6 Jun 2024 16:45:10 -0300
Message-ID: <CAH1aBcDeFgHiJkLmNoPqRsTuVwXyZ@mail.gmail.com>
Subject: Nota fiscal para reembolso
To: financeiro@lojaexemplo.com.br
Cc: "Ana Lima" <ana.lima.teste@gmail.com>
Content-Type: multipart/mixed; boundary="00000000000012ab34061aae5566"

--00000000000012ab34061aae5566
Content-Type: multipart/alternative; boundary="00000000000012ab33061aae5565"

--00000000000012ab33061aae5565
Content-Type: text/plain; charset="UTF-8"

Boa tarde, segue a nota fiscal em anexo.

--00000000000012ab33061aae5565
Content-Type: text/html; charset="UTF-8"

<div dir="ltr">Boa tarde, segue a nota fiscal em anexo.</div>

--00000000000012ab33061aae5565--
--00000000000012ab34061aae5566
Content-Type: application/pdf; name="NF-e 35240612345678000199.pdf"
Content-Disposition: attachment; filename="NF-e 35240612345678000199.pdf"
Content-Transfer-Encoding: base64
X-Attachment-Id: f_lx2def3g0
Content-ID: <f_lx2def3g0>

`+b64(tinyPDF)+`--00000000000012ab34061aae5566--
`)

	add("outlook_desktop_reply", `Received: from BN8PR12MB3456.namprd12.prod.outlook.com ([fe80::1]) by BN8PR12MB3456.namprd12.prod.outlook.com with mapi id 15.20.7633.021; Fri, 7 Jun 2024 13:10:02 +0000
From: Roberto Dias <roberto.dias@construtora-exemplo.com.br>
To: "atendimento@lojaexemplo.com.br" <atendimento@lojaexemplo.com.br>
Subject: RE: [#5102] Orçamento de reposição
Thread-Topic: [#5102] =?iso-8859-1?Q?Or=E7amento_de_reposi=E7=E3o?=
Thread-Index: AQHatn8Zc2VqXoJ3kE2Rm1n0Xw==
Date: Fri, 7 Jun 2024 13:10:02 +0000
Message-ID: <BN8PR12MB34561D2C3A4B5E6F7A8B9C0DA1B2@BN8PR12MB3456.namprd12.prod.outlook.com>
References: <ticket-5102.1717600000@lojaexemplo.com.br>
In-Reply-To: <ticket-5102.1717600000@lojaexemplo.com.br>
Accept-Language: pt-BR, en-US
Content-Language: pt-BR
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
X-Auto-Response-Suppress: All
Content-Type: multipart/alternative;
	boundary="_000_BN8PR12MB34561D2C3A4B5E6F7A8B9C0DA1B2BN8PR12MB3456namp_"
MIME-Version: 1.0

--_000_BN8PR12MB34561D2C3A4B5E6F7A8B9C0DA1B2BN8PR12MB3456namp_
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

`+qp(enc(latin1, `Bom dia,

Aprovado o orçamento. Favor emitir o boleto com vencimento para o dia 15.

Att,
Roberto Dias
Gerente de Compras

De: Loja Exemplo <atendimento@lojaexemplo.com.br>
Enviada em: quinta-feira, 6 de junho de 2024 17:22
Para: Roberto Dias <roberto.dias@construtora-exemplo.com.br>
Assunto: [#5102] Orçamento de reposição

Prezado Roberto,

Segue o orçamento solicitado: R$ 12.480,00.
`))+`
--_000_BN8PR12MB34561D2C3A4B5E6F7A8B9C0DA1B2BN8PR12MB3456namp_
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

`+qp(enc(latin1, `<html xmlns:o="urn:schemas-microsoft-com:office:office">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">
<style><!-- p.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;} --></style>
</head>
<body lang="PT-BR" link="#0563C1" vlink="#954F72">
<div class="WordSection1">
<p class="MsoNormal">Bom dia,<o:p></o:p></p>
<p class="MsoNormal">Aprovado o orçamento. Favor emitir o boleto com vencimento para o dia 15.<o:p></o:p></p>
<p class="MsoNormal">Att,<br>Roberto Dias<br>Gerente de Compras<o:p></o:p></p>
<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p class="MsoNormal"><b>De:</b> Loja Exemplo &lt;atendimento@lojaexemplo.com.br&gt;<br>
<b>Enviada em:</b> quinta-feira, 6 de junho de 2024 17:22<br>
<b>Para:</b> Roberto Dias &lt;roberto.dias@construtora-exemplo.com.br&gt;<br>
<b>Assunto:</b> [#5102] Orçamento de reposição<o:p></o:p></p>
</div>
<p class="MsoNormal">Prezado Roberto,<br>Segue o orçamento solicitado: R$ 12.480,00.<o:p></o:p></p>
</div>
</body>
</html>
`))+`
--_000_BN8PR12MB34561D2C3A4B5E6F7A8B9C0DA1B2BN8PR12MB3456namp_--
`)

	add("outlook_web_reply_en", `From: Emily Carter <emily.carter@fabrikam-example.com>
To: Support <help@contoso-example.com>
Subject: RE: Invoice INV-2291 is wrong
Thread-Topic: Invoice INV-2291 is wrong
Thread-Index: AQHatpQ2bWx1c2VyMTIzNDU2Nzg5MA==
Date: Mon, 10 Jun 2024 15:41:27 +0000
Message-ID: <PH0PR19MB5132AB12CD34EF56@PH0PR19MB5132.namprd19.prod.outlook.com>
References: <20240610120000.support.2291@contoso-example.com>
In-Reply-To: <20240610120000.support.2291@contoso-example.com>
Content-Type: multipart/alternative;
	boundary="_000_PH0PR19MB5132AB12CD34EF56PH0PR19MB5132namprd19prod_"
MIME-Version: 1.0

--_000_PH0PR19MB5132AB12CD34EF56PH0PR19MB5132namprd19prod_
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Thanks, the corrected invoice looks right. We'll pay it this week.

Emily

________________________________
From: Support <help@contoso-example.com>
Sent: Monday, June 10, 2024 8:00 AM
To: Emily Carter <emily.carter@fabrikam-example.com>
Subject: Invoice INV-2291 is wrong

Hi Emily, please find the corrected invoice attached.

--_000_PH0PR19MB5132AB12CD34EF56PH0PR19MB5132namprd19prod_
Content-Type: text/html; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

<html><head><meta http-equiv=3D"Content-Type" content=3D"text/html; charset=
=3Dus-ascii"></head><body><div style=3D"font-family: Aptos, Arial, Helvetica, sa=
ns-serif; font-size: 12pt; color: rgb(0, 0, 0);">Thanks, the corrected invo=
ice looks right. We'll pay it this week.</div><div>Emily</div><hr style=3D"d=
isplay:inline-block;width:98%" tabindex=3D"-1"><div id=3D"divRplyFwdMsg" dir=
=3D"ltr"><font face=3D"Calibri, sans-serif" style=3D"font-size:11pt" color=3D=
"#000000"><b>From:</b> Support &lt;help@contoso-example.com&gt;<br><b>Sent:</=
b> Monday, June 10, 2024 8:00 AM<br><b>To:</b> Emily Carter &lt;emily.carter=
@fabrikam-example.com&gt;<br><b>Subject:</b> Invoice INV-2291 is wrong</font=
><div>&nbsp;</div></div><div>Hi Emily, please find the corrected invoice att=
ached.</div></body></html>

--_000_PH0PR19MB5132AB12CD34EF56PH0PR19MB5132namprd19prod_--
`)

	add("outlook_mobile_reply", `From: Lucas Ferreira <lucas.ferreira.teste@outlook.com>
To: "suporte@lojaexemplo.com.br" <suporte@lojaexemplo.com.br>
Subject: Re: [#5230] Troca de tamanho
Date: Tue, 11 Jun 2024 22:03:11 +0000
Message-ID: <CP4P284MB1234567890ABCDEF@CP4P284MB1234.BRAP284.PROD.OUTLOOK.COM>
References: <ticket-5230.1718100000@lojaexemplo.com.br>
In-Reply-To: <ticket-5230.1718100000@lojaexemplo.com.br>
Content-Type: multipart/alternative;
	boundary="_000_CP4P284MB1234567890ABCDEFCP4P284MB1234BRAP284PROD_"
MIME-Version: 1.0

--_000_CP4P284MB1234567890ABCDEFCP4P284MB1234BRAP284PROD_
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

`+b64(`Pode ser o tamanho M então. Obrigado!

Obter o Outlook para iOS<https://aka.ms/o0ukef>
________________________________
De: Loja Exemplo <suporte@lojaexemplo.com.br>
Enviado: Tuesday, June 11, 2024 6:40:02 PM
Para: Lucas Ferreira <lucas.ferreira.teste@outlook.com>
Assunto: [#5230] Troca de tamanho

Olá Lucas, qual tamanho você prefere?
`)+`
--_000_CP4P284MB1234567890ABCDEFCP4P284MB1234BRAP284PROD_
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: base64

`+b64(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><div dir="auto">Pode ser o tamanho M então. Obrigado!</div><div dir="auto"><br></div><div id="ms-outlook-mobile-signature" dir="auto">Obter o <a href="https://aka.ms/o0ukef">Outlook para iOS</a></div><hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>De:</b> Loja Exemplo &lt;suporte@lojaexemplo.com.br&gt;<br><b>Enviado:</b> Tuesday, June 11, 2024 6:40:02 PM<br><b>Para:</b> Lucas Ferreira &lt;lucas.ferreira.teste@outlook.com&gt;<br><b>Assunto:</b> [#5230] Troca de tamanho</font><div>&nbsp;</div></div><div>Olá Lucas, qual tamanho você prefere?</div></body></html>`)+`
--_000_CP4P284MB1234567890ABCDEFCP4P284MB1234BRAP284PROD_--
`)

	add("outlook_winmail_dat", `From: Paulo Ribeiro <paulo.ribeiro@escritorio-exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: Planilha de pedidos
Date: Wed, 12 Jun 2024 08:30:00 -0300
Message-ID: <000001dabc12$3a4b5c60$af1c1520$@escritorio-exemplo.com.br>
MIME-Version: 1.0
X-Mailer: Microsoft Outlook 16.0
Content-Type: multipart/mixed;
	boundary="----=_NextPart_000_0001_01DABC12.3A4B5C60"

This is a multi-part message in MIME format.

------=_NextPart_000_0001_01DABC12.3A4B5C60
Content-Type: text/plain;
	charset="Windows-1252"
Content-Transfer-Encoding: quoted-printable

`+qp(enc(cp1252, "Segue a planilha com os pedidos de junho – favor conferir.\n"))+`
------=_NextPart_000_0001_01DABC12.3A4B5C60
Content-Type: application/ms-tnef;
	name="winmail.dat"
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
	filename="winmail.dat"

`+b64(fakeTNEF)+`
------=_NextPart_000_0001_01DABC12.3A4B5C60--
`)

	add("apple_mail_reply", `From: Beatriz Nunes <beatriz.nunes.teste@icloud.com>
Content-Type: multipart/alternative;
	boundary="Apple-Mail=_8C1E2A3B-4D5F-4A6B-9C7D-0E1F2A3B4C5D"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \(3774.600.62\))
Subject: Re: [#5301] Cupom de desconto
Date: Thu, 13 Jun 2024 19:12:45 -0300
In-Reply-To: <ticket-5301.1718290000@lojaexemplo.com.br>
To: Loja Exemplo <suporte@lojaexemplo.com.br>
References: <ticket-5301.1718290000@lojaexemplo.com.br>
Message-Id: <6A1B2C3D-4E5F-4A7B-8C9D-0E1F2A3B4C5D@icloud.com>
X-Mailer: Apple Mail (2.3774.600.62)

--Apple-Mail=_8C1E2A3B-4D5F-4A6B-9C7D-0E1F2A3B4C5D
Content-Transfer-Encoding: quoted-printable
Content-Type: text/plain;
	charset=utf-8

Funcionou, obrigada!

> Em 13 de jun. de 2024, =C3=A0(s) 15:02, Loja Exemplo =
<suporte@lojaexemplo.com.br> escreveu:
>=20
> Ol=C3=A1 Beatriz, o cupom VERAO10 foi reativado.
>=20
> Equipe Loja Exemplo


--Apple-Mail=_8C1E2A3B-4D5F-4A6B-9C7D-0E1F2A3B4C5D
Content-Transfer-Encoding: quoted-printable
Content-Type: text/html;
	charset=utf-8

<html aria-label=3D"message body"><head><meta http-equiv=3D"content-type" =
content=3D"text/html; charset=3Dutf-8"></head><body style=3D"overflow-wrap: =
break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">Funcio=
nou, obrigada!<br id=3D"lineBreakAtBeginningOfMessage"><div><br><blockquote =
type=3D"cite"><div>Em 13 de jun. de 2024, =C3=A0(s) 15:02, Loja Exemplo &lt;=
suporte@lojaexemplo.com.br&gt; escreveu:</div><br class=3D"Apple-interchange=
-newline"><div><div>Ol=C3=A1 Beatriz, o cupom VERAO10 foi reativado.<br><br>=
Equipe Loja Exemplo</div></div></blockquote></div><br></body></html>=

--Apple-Mail=_8C1E2A3B-4D5F-4A6B-9C7D-0E1F2A3B4C5D--
`)

	add("apple_mail_inline_attachment", `From: Beatriz Nunes <beatriz.nunes.teste@icloud.com>
Content-Type: multipart/mixed;
	boundary="Apple-Mail=_11112222-3333-4444-5555-666677778888"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \(3774.600.62\))
Subject: Foto do produto com defeito
Date: Fri, 14 Jun 2024 10:00:00 -0300
To: suporte@lojaexemplo.com.br
Message-Id: <AAAA1111-BBBB-2222-CCCC-3333DDDD4444@icloud.com>

--Apple-Mail=_11112222-3333-4444-5555-666677778888
Content-Transfer-Encoding: 7bit
Content-Type: text/plain;
	charset=us-ascii

Veja a foto:

--Apple-Mail=_11112222-3333-4444-5555-666677778888
Content-Disposition: inline;
	filename=IMG_4021.png
Content-Type: image/png;
	x-unix-mode=0644;
	name="IMG_4021.png"
Content-Transfer-Encoding: base64

`+b64(tinyPNG)+`
--Apple-Mail=_11112222-3333-4444-5555-666677778888
Content-Transfer-Encoding: quoted-printable
Content-Type: text/plain;
	charset=utf-8

A al=C3=A7a veio quebrada.
--Apple-Mail=_11112222-3333-4444-5555-666677778888
Content-Disposition: inline;
	filename=notas.txt
Content-Type: text/plain;
	x-unix-mode=0644;
	name="notas.txt"
Content-Transfer-Encoding: 7bit

pedido 5399, caixa 2
--Apple-Mail=_11112222-3333-4444-5555-666677778888--
`)

	add("iphone_reply", `From: Rafael Costa <rafael.costa.teste@icloud.com>
Content-Type: text/plain;
	charset=utf-8
Content-Transfer-Encoding: quoted-printable
Mime-Version: 1.0 (1.0)
Subject: Re: [#5402] Entrega agendada
Date: Sat, 15 Jun 2024 08:14:02 -0300
Message-Id: <9F8E7D6C-5B4A-4392-8170-6F5E4D3C2B1A@icloud.com>
References: <ticket-5402.1718400000@lojaexemplo.com.br>
In-Reply-To: <ticket-5402.1718400000@lojaexemplo.com.br>
To: Loja Exemplo <suporte@lojaexemplo.com.br>
X-Mailer: iPhone Mail (21F90)

Pode ser s=C3=A1bado de manh=C3=A3.

Enviado do meu iPhone

> Em 14 de jun. de 2024, =C3=A0(s) 18:20, Loja Exemplo <suporte@lojaexemplo.=
com.br> escreveu:
>=20
> =EF=BB=BFOl=C3=A1 Rafael, qual o melhor dia para a entrega?
`)

	add("thunderbird_reply_ptbr", `Message-ID: <7b2c9e1a-3f4d-4e5a-9b6c-1d2e3f4a5b6c@provedor-exemplo.com.br>
Date: Sun, 16 Jun 2024 20:31:09 -0300
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Subject: Re: [#5500] Garantia estendida
Content-Language: pt-BR
To: Loja Exemplo <suporte@lojaexemplo.com.br>
References: <ticket-5500.1718500000@lojaexemplo.com.br>
From: =?UTF-8?Q?Andr=C3=A9_Martins?= <andre.martins@provedor-exemplo.com.br>
In-Reply-To: <ticket-5500.1718500000@lojaexemplo.com.br>
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

Certo, vou aguardar o contato da assistência técnica. O número de série 
é BR-99812-X.

Em 16/06/2024 14:05, Loja Exemplo escreveu:
> Olá André,
>
> A garantia estendida cobre 24 meses. Qual o número de série?
>
> -- 
> Equipe Loja Exemplo

-- 
André Martins
(11) 5555-0101
`)

	add("thunderbird_rfc2231_filename", `Message-ID: <5c1d2e3f-aaaa-bbbb-cccc-1234567890ab@provedor-exemplo.com.br>
Date: Mon, 17 Jun 2024 09:00:00 -0300
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Subject: =?UTF-8?Q?Relat=C3=B3rio_de_devolu=C3=A7=C3=A3o?=
To: suporte@lojaexemplo.com.br
From: =?UTF-8?Q?Andr=C3=A9_Martins?= <andre.martins@provedor-exemplo.com.br>
Content-Type: multipart/mixed; boundary="------------8vJ2kL3mN4pQ5rS6tU7vW8xY"

This is a multi-part message in MIME format.
--------------8vJ2kL3mN4pQ5rS6tU7vW8xY
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

Segue o relatorio.

--------------8vJ2kL3mN4pQ5rS6tU7vW8xY
Content-Type: application/pdf;
 name*=UTF-8''relat%C3%B3rio%20de%20devolu%C3%A7%C3%A3o.pdf
Content-Disposition: attachment;
 filename*=UTF-8''relat%C3%B3rio%20de%20devolu%C3%A7%C3%A3o.pdf
Content-Transfer-Encoding: base64

`+b64(tinyPDF)+`
--------------8vJ2kL3mN4pQ5rS6tU7vW8xY--
`)

	add("yahoo_reply", `Date: Tue, 18 Jun 2024 12:44:19 +0000 (UTC)
From: Fernanda Rocha <fernanda.rocha.teste@yahoo.com.br>
To: Loja Exemplo <suporte@lojaexemplo.com.br>
Message-ID: <1122334455.6677889.1718714659123@mail.yahoo.com>
In-Reply-To: <ticket-5600.1718700000@lojaexemplo.com.br>
References: <ticket-5600.1718700000@lojaexemplo.com.br>
Subject: Re: [#5600] Boleto vencido
MIME-Version: 1.0
Content-Type: multipart/alternative; 
	boundary="----=_Part_1234567_987654321.1718714659122"
X-Mailer: WebService/1.1.22407 YMailNorrin

------=_Part_1234567_987654321.1718714659122
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

 Paguei o novo boleto agora. Segue comprovante depois.
   =20

    Em segunda-feira, 17 de junho de 2024 =C3=A0s 18:01:22 BRT, Loja Exemp=
lo <suporte@lojaexemplo.com.br> escreveu: =20
=20
 Ol=C3=A1 Fernanda, geramos um novo boleto com vencimento amanh=C3=A3. =20
 =20

------=_Part_1234567_987654321.1718714659122
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

<html><head></head><body><div class=3D"ydp1a2b3c4dyahoo-style-wrap" style=3D=
"font-family:Helvetica Neue, Helvetica, Arial, sans-serif;font-size:13px;"><=
div></div>
        <div dir=3D"ltr" data-setdir=3D"false">Paguei o novo boleto agora. =
Segue comprovante depois.</div></div><div id=3D"yahoo_quoted_1122334455" cla=
ss=3D"yahoo_quoted"><div style=3D"font-family:'Helvetica Neue', Helvetica, Ar=
ial, sans-serif;font-size:13px;color:#26282a;"><div>Em segunda-feira, 17 de j=
unho de 2024 =C3=A0s 18:01:22 BRT, Loja Exemplo &lt;suporte@lojaexemplo.com.b=
r&gt; escreveu:</div><div><br></div><div>Ol=C3=A1 Fernanda, geramos um novo b=
oleto com vencimento amanh=C3=A3.</div></div></div></body></html>

------=_Part_1234567_987654321.1718714659122--
`)

	add("uol_webmail_latin1", `Return-Path: <claudia.mendes.teste@uol.com.br>
Date: Wed, 19 Jun 2024 10:22:33 -0300
From: =?ISO-8859-1?Q?Cl=E1udia_Mendes?= <claudia.mendes.teste@uol.com.br>
To: suporte@lojaexemplo.com.br
Message-ID: <66729a1b2c3d4_1a2b3c4d5e6f@uol.com.br>
Subject: =?ISO-8859-1?Q?D=FAvida_sobre_frete_gr=E1tis?=
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable
X-Mailer: UOL Mail

`+qp(enc(latin1, `Bom dia!

O frete grátis vale para o Nordeste? Moro em João Pessoa.

Cláudia
`)))

	add("bol_webmail_8bit_headers", "Return-Path: <jose.silva.teste@bol.com.br>\n"+
		"Date: Wed, 19 Jun 2024 11:05:00 -0300\n"+
		"From: "+enc(latin1, "José da Silva")+" <jose.silva.teste@bol.com.br>\n"+
		"To: suporte@lojaexemplo.com.br\n"+
		"Message-ID: <20240619140500.BOL.77123@bol.com.br>\n"+
		"Subject: "+enc(latin1, "Reclamação: produto não funciona")+"\n"+
		"MIME-Version: 1.0\n"+
		"Content-Type: text/plain; charset=iso-8859-1\n"+
		"Content-Transfer-Encoding: 8bit\n"+
		"X-Mailer: BOL Mail\n\n"+
		enc(latin1, "O liquidificador não liga. Já testei em outra tomada.\n\nJosé\n"))

	add("terra_webmail_cp1252", `Date: Thu, 20 Jun 2024 14:30:00 -0300
From: "Marcos Teixeira" <marcos.teixeira.teste@terra.com.br>
To: <vendas@lojaexemplo.com.br>
Subject: =?windows-1252?Q?Cota=E7=E3o_=96_pe=E7as_de_reposi=E7=E3o?=
Message-ID: <terra.1718904600.4455@terra.com.br>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="=_terra_a1b2c3d4e5"

--=_terra_a1b2c3d4e5
Content-Type: text/plain; charset="windows-1252"
Content-Transfer-Encoding: quoted-printable

`+qp(enc(cp1252, "Preciso de “10 unidades” do item 443 – entrega até sexta? Valor até € 500.\n"))+`
--=_terra_a1b2c3d4e5
Content-Type: text/html; charset="windows-1252"
Content-Transfer-Encoding: quoted-printable

`+qp(enc(cp1252, "<p>Preciso de “10 unidades” do item 443 – entrega até sexta? Valor até € 500.</p>\n"))+`
--=_terra_a1b2c3d4e5--
`)

	add("roundcube_locaweb_reply", `MIME-Version: 1.0
Date: Fri, 21 Jun 2024 09:41:12 -0300
From: Gustavo Lopes <gustavo@padaria-exemplo.com.br>
To: Loja Exemplo <suporte@lojaexemplo.com.br>
Subject: Re: [#5800] Nota fiscal
In-Reply-To: <ticket-5800.1718900000@lojaexemplo.com.br>
References: <ticket-5800.1718900000@lojaexemplo.com.br>
Message-ID: <a1b2c3d4e5f60718293a4b5c6d7e8f90@padaria-exemplo.com.br>
X-Sender: gustavo@padaria-exemplo.com.br
User-Agent: Roundcube Webmail/1.6.6
Content-Type: multipart/alternative;
 boundary="=_f1e2d3c4b5a69788"

--=_f1e2d3c4b5a69788
Content-Transfer-Encoding: 8bit
Content-Type: text/plain; charset=UTF-8;
 format=flowed

Recebido, obrigado. CNPJ correto agora.

Em 2024-06-20 17:03, Loja Exemplo escreveu:
> Olá Gustavo, reenviamos a nota com o CNPJ corrigido.
> 
> Equipe Loja Exemplo

--=_f1e2d3c4b5a69788
Content-Transfer-Encoding: quoted-printable
Content-Type: text/html; charset=UTF-8

<html><head><meta http-equiv=3D"Content-Type" content=3D"text/html; charset=
=3DUTF-8" /></head><body style=3D'font-size: 10pt; font-family: Verdana,Gen=
eva,sans-serif'>
<p>Recebido, obrigado. CNPJ correto agora.</p>
<p>Em 2024-06-20 17:03, Loja Exemplo escreveu:</p>
<blockquote type=3D"cite" style=3D"padding: 0 0.4em; border-left: #1010ff 2p=
x solid; margin: 0">
<p>Ol=C3=A1 Gustavo, reenviamos a nota com o CNPJ corrigido.</p>
<p>Equipe Loja Exemplo</p>
</blockquote>
</body></html>

--=_f1e2d3c4b5a69788--
`)

	add("zimbra_reply", `Date: Sat, 22 Jun 2024 11:11:11 -0300 (BRT)
From: Patricia Gomes <patricia.gomes@prefeitura-exemplo.gov.br>
To: suporte <suporte@lojaexemplo.com.br>
Message-ID: <1029384756.112233.1719065471000.JavaMail.zimbra@prefeitura-exemplo.gov.br>
In-Reply-To: <ticket-5900.1719000000@lojaexemplo.com.br>
References: <ticket-5900.1719000000@lojaexemplo.com.br>
Subject: Re: [#5900] Empenho 2024/331
MIME-Version: 1.0
Content-Type: multipart/alternative; 
	boundary="=_9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4"
X-Mailer: Zimbra 9.0.0_GA_4583 (ZimbraWebClient - GC126 (Win)/9.0.0_GA_4583)
Thread-Topic: Empenho 2024/331
Thread-Index: bWVuc2FnZW0gemltYnJh

--=_9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit

Empenho liberado hoje.

Att.

----- Mensagem original -----
De: "suporte" <suporte@lojaexemplo.com.br>
Para: "Patricia Gomes" <patricia.gomes@prefeitura-exemplo.gov.br>
Enviadas: Sexta-feira, 21 de junho de 2024 16:00:00
Assunto: [#5900] Empenho 2024/331

Prezada Patricia, aguardamos o empenho para faturar.

--=_9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: 7bit

<html><body><div style="font-family: arial, helvetica, sans-serif; font-size: 12pt; color: #000000"><div>Empenho liberado hoje.</div><div><br></div><div>Att.</div><div><br></div><hr id="zwchr" data-marker="__DIVIDER__"><div data-marker="__HEADERS__"><b>De: </b>"suporte" &lt;suporte@lojaexemplo.com.br&gt;<br><b>Para: </b>"Patricia Gomes" &lt;patricia.gomes@prefeitura-exemplo.gov.br&gt;<br><b>Enviadas: </b>Sexta-feira, 21 de junho de 2024 16:00:00<br><b>Assunto: </b>[#5900] Empenho 2024/331<br></div><div><br></div><div data-marker="__QUOTED_TEXT__"><div>Prezada Patricia, aguardamos o empenho para faturar.</div></div></div></body></html>
--=_9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4--
`)

	add("gmail_forward_inline", `MIME-Version: 1.0
From: Carlos Pereira <carlos.pereira.teste@gmail.com>
Date: Sun, 23 Jun 2024 18:00:00 -0300
Message-ID: <CAJ8kLmFwd0001@mail.gmail.com>
Subject: Fwd: Confirmação de pagamento
To: suporte@lojaexemplo.com.br
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Encaminhando a confirma=C3=A7=C3=A3o que recebi do banco.

---------- Forwarded message ---------
De: Banco Exemplo <nao-responda@banco-exemplo.com.br>
Date: dom., 23 de jun. de 2024 =C3=A0s 17:40
Subject: Confirma=C3=A7=C3=A3o de pagamento
To: <carlos.pereira.teste@gmail.com>

Pagamento de R$ 349,90 confirmado.
`)

	add("english_gmail_reply", `MIME-Version: 1.0
From: Tom Becker <tom.becker.test@gmail.com>
Date: Mon, 24 Jun 2024 07:30:00 +0100
Message-ID: <CAB7xYzEnglish01@mail.gmail.com>
In-Reply-To: <20240623190000.help.991@contoso-example.com>
References: <20240623190000.help.991@contoso-example.com>
Subject: Re: Your refund request
To: Contoso Help <help@contoso-example.com>
Content-Type: text/plain; charset="UTF-8"

Great, thanks for sorting it out.

On Sun, Jun 23, 2024 at 8:00 PM Contoso Help <help@contoso-example.com> wrote:

> Hi Tom,
>
> Your refund of $49.00 was issued today.
>
> --
> Contoso Help Desk
`)

	add("spanish_reply", `MIME-Version: 1.0
From: =?UTF-8?Q?Luc=C3=ADa_Fern=C3=A1ndez?= <lucia.fernandez.prueba@gmail.com>
Date: Tue, 25 Jun 2024 12:00:00 +0200
Message-ID: <CAD9spanish01@mail.gmail.com>
Subject: Re: =?UTF-8?Q?Devoluci=C3=B3n_del_pedido?=
To: ayuda@tienda-ejemplo.es
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: 8bit

Sí, prefiero el reembolso en la tarjeta.

El lun, 24 jun 2024 a las 18:00, Tienda Ejemplo (<ayuda@tienda-ejemplo.es>)
escribió:

> ¿Prefiere reembolso o cambio?
`)

	add("german_reply_latin9", `MIME-Version: 1.0
From: =?ISO-8859-15?Q?J=FCrgen_M=FCller?= <juergen.mueller@beispiel-firma.de>
Date: Wed, 26 Jun 2024 09:15:00 +0200
Message-ID: <20240626091500.4711@beispiel-firma.de>
Subject: =?ISO-8859-15?Q?AW:_R=FCckerstattung_=A4_120?=
To: support@contoso-example.com
Content-Type: text/plain; charset=ISO-8859-15
Content-Transfer-Encoding: quoted-printable

`+qp(enc(latin9, `Vielen Dank, die Rückerstattung über 120 € ist angekommen.

Mit freundlichen Grüßen
Jürgen Müller

-----Ursprüngliche Nachricht-----
Von: Support <support@contoso-example.com>
Gesendet: Dienstag, 25. Juni 2024 17:00
An: Jürgen Müller <juergen.mueller@beispiel-firma.de>
Betreff: Rückerstattung € 120

Die Rückerstattung wurde veranlasst.
`)))
}

func charsets() {
	add("charset_iso8859_1", `From: =?iso-8859-1?Q?Jo=E3o_Gon=E7alves?= <joao.goncalves@exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: =?iso-8859-1?Q?Solicita=E7=E3o_de_c=F3pia_do_contrato?=
Date: Thu, 27 Jun 2024 10:00:00 -0300
Message-ID: <charset-latin1-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: 8bit

`+enc(latin1, "Olá, poderiam enviar a cópia do contrato nº 2291? Ação urgente, obrigado.\n\nJoão Gonçalves\n"))

	add("charset_iso8859_15", `From: Sandrine Lefèvre <sandrine.lefevre@exemple-societe.fr>
To: support@contoso-example.com
Subject: =?ISO-8859-15?B?`+base64Std(enc(latin9, "Facture œuvre d'art - 250 €"))+`?=
Date: Thu, 27 Jun 2024 11:00:00 +0200
Message-ID: <charset-latin9-01@exemple-societe.fr>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-15
Content-Transfer-Encoding: quoted-printable

`+qp(enc(latin9, "Bonjour, la facture de l'œuvre indique 250 € au lieu de 205 €. Merci de corriger.\n")))

	add("charset_windows1252", `From: "Sarah O'Neil" <sarah.oneil@example-corp.com>
To: help@contoso-example.com
Subject: =?Windows-1252?Q?=93Quoted=94_title_=96_=80_pricing?=
Date: Thu, 27 Jun 2024 12:00:00 -0400
Message-ID: <charset-cp1252-01@example-corp.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=Windows-1252
Content-Transfer-Encoding: 8bit

`+enc(cp1252, "The “Pro” plan costs €20 – that’s what your page says… please confirm.\n"))

	add("charset_iso2022jp", `From: =?ISO-2022-JP?B?`+base64Std(enc(japanese.ISO2022JP, "山田太郎"))+`?= <yamada.taro@example.co.jp>
To: support@contoso-example.com
Subject: =?ISO-2022-JP?B?`+base64Std(enc(japanese.ISO2022JP, "注文について"))+`?=
Date: Fri, 28 Jun 2024 09:00:00 +0900
Message-ID: <charset-iso2022jp-01@example.co.jp>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

`+enc(japanese.ISO2022JP, "お世話になっております。\n注文番号 7788 の配送状況を教えてください。\n山田\n"))

	add("charset_shift_jis", `From: suzuki.hanako@example.co.jp
To: support@contoso-example.com
Subject: =?Shift_JIS?B?`+base64Std(enc(japanese.ShiftJIS, "請求書の再発行"))+`?=
Date: Fri, 28 Jun 2024 10:00:00 +0900
Message-ID: <charset-sjis-01@example.co.jp>
MIME-Version: 1.0
Content-Type: text/plain; charset=Shift_JIS
Content-Transfer-Encoding: base64

`+b64(enc(japanese.ShiftJIS, "請求書を再発行してください。\n鈴木\n")))

	add("charset_koi8r", `From: =?KOI8-R?B?`+base64Std(enc(koi8r, "Иван Петров"))+`?= <ivan.petrov@example.ru>
To: support@contoso-example.com
Subject: =?KOI8-R?Q?`+qwordBody(enc(koi8r, "Вопрос по заказу"))+`?=
Date: Fri, 28 Jun 2024 12:00:00 +0300
Message-ID: <charset-koi8r-01@example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset=KOI8-R
Content-Transfer-Encoding: 8bit

`+enc(koi8r, "Здравствуйте! Когда будет доставлен заказ 5521?\nИван\n"))

	add("charset_windows1251", `From: olga.smirnova@example.ru
To: support@contoso-example.com
Subject: =?windows-1251?B?`+base64Std(enc(cp1251, "Счёт на оплату"))+`?=
Date: Fri, 28 Jun 2024 13:00:00 +0300
Message-ID: <charset-cp1251-01@example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset="windows-1251"
Content-Transfer-Encoding: quoted-printable

`+qp(enc(cp1251, "Пришлите, пожалуйста, счёт ещё раз.\nОльга\n")))

	add("charset_gb2312", `From: =?GB2312?B?`+base64Std(enc(simplifiedchinese.GBK, "王小明"))+`?= <wang.xiaoming@example.cn>
To: support@contoso-example.com
Subject: =?GB2312?B?`+base64Std(enc(simplifiedchinese.GBK, "订单查询"))+`?=
Date: Sat, 29 Jun 2024 10:00:00 +0800
Message-ID: <charset-gb2312-01@example.cn>
MIME-Version: 1.0
Content-Type: text/plain; charset="gb2312"
Content-Transfer-Encoding: base64

`+b64(enc(simplifiedchinese.GBK, "您好，我的订单号是 3344，请问什么时候发货？\n谢谢\n")))

	add("charset_gbk", `From: li.na@example.cn
To: support@contoso-example.com
Subject: =?GBK?Q?`+qwordBody(enc(simplifiedchinese.GBK, "发票"))+`?=
Date: Sat, 29 Jun 2024 11:00:00 +0800
Message-ID: <charset-gbk-01@example.cn>
MIME-Version: 1.0
Content-Type: text/html; charset=GBK
Content-Transfer-Encoding: 8bit

`+enc(simplifiedchinese.GBK, "<html><body><p>请开具发票，公司名称：示例科技有限公司。</p></body></html>\n"))

	add("charset_big5", `From: =?Big5?B?`+base64Std(enc(traditionalchinese.Big5, "陳大文"))+`?= <chen.daiwen@example.tw>
To: support@contoso-example.com
Subject: =?Big5?B?`+base64Std(enc(traditionalchinese.Big5, "退貨申請"))+`?=
Date: Sat, 29 Jun 2024 12:00:00 +0800
Message-ID: <charset-big5-01@example.tw>
MIME-Version: 1.0
Content-Type: text/plain; charset=big5
Content-Transfer-Encoding: 8bit

`+enc(traditionalchinese.Big5, "您好，我想申請退貨，商品有瑕疵。\n陳\n"))

	add("charset_euc_kr", `From: kim.minsu@example.kr
To: support@contoso-example.com
Subject: =?ks_c_5601-1987?B?`+base64Std(enc(korean.EUCKR, "배송 문의"))+`?=
Date: Sat, 29 Jun 2024 13:00:00 +0900
Message-ID: <charset-euckr-01@example.kr>
MIME-Version: 1.0
Content-Type: text/plain; charset="ks_c_5601-1987"
Content-Transfer-Encoding: base64

`+b64(enc(korean.EUCKR, "안녕하세요. 배송은 언제 되나요?\n")))

	add("charset_utf8_base64", `From: =?UTF-8?B?`+base64Std("Ana Müller-Øster")+`?= <ana@example.eu>
To: support@contoso-example.com
Subject: =?UTF-8?B?`+base64Std("Überweisung 😀 ✓")+`?=
Date: Sat, 29 Jun 2024 14:00:00 +0200
Message-ID: <charset-utf8-b64-01@example.eu>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

`+b64("Emoji 😀, Ümlaut, Ø, ß, 中文, русский — all fine.\n"))

	add("charset_mislabel_usascii_latin1", `From: Joana Prado <joana.prado@exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: Troca de endereco
Date: Sun, 30 Jun 2024 10:00:00 -0300
Message-ID: <mislabel-ascii-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 8bit

`+enc(latin1, "Meu novo endereço é Rua São João, 100 - apto 3.\n"))

	add("charset_mislabel_utf8_latin1", `From: Joana Prado <joana.prado@exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: =?utf-8?Q?Confirma=C3=A7=C3=A3o?=
Date: Sun, 30 Jun 2024 10:05:00 -0300
Message-ID: <mislabel-utf8-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

`+qp(enc(latin1, "Confirmação recebida. Até logo, Joana.\n")))

	add("charset_mislabel_latin1_utf8", `From: Joana Prado <joana.prado@exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: Pedido atrasado
Date: Sun, 30 Jun 2024 10:10:00 -0300
Message-ID: <mislabel-latin1-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: 8bit

O pedido está atrasado há três semanas. Não recebi nenhuma informação.
`)

	add("charset_unknown_8bit", `From: Joana Prado <joana.prado@exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: Teste
Date: Sun, 30 Jun 2024 10:15:00 -0300
Message-ID: <unknown-8bit-01@exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/plain; charset=unknown-8bit
Content-Transfer-Encoding: 8bit

`+enc(latin1, "Atenção: cobrança duplicada.\n"))

	add("charset_html_meta_only", `From: Loja Parceira <contato@parceira-exemplo.com.br>
To: suporte@lojaexemplo.com.br
Subject: Tabela de preços
Date: Sun, 30 Jun 2024 10:20:00 -0300
Message-ID: <html-meta-01@parceira-exemplo.com.br>
MIME-Version: 1.0
Content-Type: text/html
Content-Transfer-Encoding: 8bit

`+enc(latin1, `<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><body><p>Preços atualizados em anexo na próxima mensagem.</p></body></html>
`))
}

func base64Std(raw string) string { return b64One(raw) }

func qwordBody(raw string) string {
	w := qword("x", raw)
	return w[len("=?x?Q?") : len(w)-2]
}
