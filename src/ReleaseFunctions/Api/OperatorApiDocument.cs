using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using ReleaseFunctions.Hosting.Functions;

namespace ReleaseFunctions.Api;

/// <summary>The OpenAPI document at <c>/openapi/v1.json</c>, with the operator key as its bearer scheme on the endpoints that need it.</summary>
internal static class OperatorApiDocument
{
    private const string SchemeName = "operatorKey";

    public static IServiceCollection AddOperatorApiDocument(this IServiceCollection services)
    {
        services.AddHttpFunction("OpenApiDocument", "openapi/v1.json", "GET");
        return services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "ReleaseFunctions";
                document.Info.Description = "Releases, their timelines and commands, DORA metrics, and the GitHub webhook.";
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An operator API key from ReleaseFunctions__Operator__ApiKeys (also accepted in the X-Api-Key header).",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any())
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] });
                }

                return Task.CompletedTask;
            });
        });
    }
}
